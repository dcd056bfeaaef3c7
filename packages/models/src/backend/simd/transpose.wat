;; Transposes of row-major float32 (or int32) matrices [rows, cols] with rows and cols multiples
;; of 4, in 4 x 4 blocks (four 16-byte loads, eight shuffles, four 16-byte stores) walked in tiles
;; of 16 x 16: the copies around XNNPACK's products (../wasm/batch-mat-mul.ts) and wasm's
;; Transpose of matrices. A copy: the same bits however it is sliced. Assembled by
;; scripts/wasm/assemble.mjs into transpose-wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; out [cols, rows] at `to` from x [rows, cols] at `from` (byte offsets), rows [first, last) only.
  (func (export "transpose")
    (param $from i32) (param $to i32) (param $rows i32) (param $cols i32) (param $first i32) (param $last i32)
    (local $r0 i32) (local $c0 i32) (local $r i32) (local $c i32) (local $rEnd i32) (local $cEnd i32)
    (local $rowBytes i32) (local $colBytes i32) (local $in i32) (local $out i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $colBytes (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $r0 (local.get $first))
    (block $done
      (loop $rowTiles
        (br_if $done (i32.ge_u (local.get $r0) (local.get $last)))
        (local.set $rEnd (select (i32.add (local.get $r0) (i32.const 16)) (local.get $last)
          (i32.lt_u (i32.add (local.get $r0) (i32.const 16)) (local.get $last))))
        (local.set $c0 (i32.const 0))
        (block $colsDone
          (loop $colTiles
            (br_if $colsDone (i32.ge_u (local.get $c0) (local.get $cols)))
            (local.set $cEnd (select (i32.add (local.get $c0) (i32.const 16)) (local.get $cols)
              (i32.lt_u (i32.add (local.get $c0) (i32.const 16)) (local.get $cols))))
            (local.set $r (local.get $r0))
            (block $rDone
              (loop $rLoop
                (br_if $rDone (i32.ge_u (local.get $r) (local.get $rEnd)))
                (local.set $c (local.get $c0))
                (block $cDone
                  (loop $cLoop
                    (br_if $cDone (i32.ge_u (local.get $c) (local.get $cEnd)))
                    (local.set $in (i32.add (local.get $from) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2))))
                    (local.set $a0 (v128.load align=4 (local.get $in)))
                    (local.set $a1 (v128.load align=4 (i32.add (local.get $in) (local.get $rowBytes))))
                    (local.set $a2 (v128.load align=4 (i32.add (local.get $in) (i32.shl (local.get $rowBytes) (i32.const 1)))))
                    (local.set $a3 (v128.load align=4 (i32.add (local.get $in) (i32.mul (local.get $rowBytes) (i32.const 3)))))
                    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1)))
                    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1)))
                    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3)))
                    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3)))
                    (local.set $out (i32.add (local.get $to) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2))))
                    (v128.store align=4 (local.get $out)
                      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                    (v128.store align=4 (i32.add (local.get $out) (local.get $colBytes))
                      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                    (v128.store align=4 (i32.add (local.get $out) (i32.shl (local.get $colBytes) (i32.const 1)))
                      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                    (v128.store align=4 (i32.add (local.get $out) (i32.mul (local.get $colBytes) (i32.const 3)))
                      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                    (local.set $c (i32.add (local.get $c) (i32.const 4)))
                    (br $cLoop)))
                (local.set $r (i32.add (local.get $r) (i32.const 4)))
                (br $rLoop)))
            (local.set $c0 (i32.add (local.get $c0) (i32.const 16)))
            (br $colTiles)))
        (local.set $r0 (i32.add (local.get $r0) (i32.const 16)))
        (br $rowTiles))))
)
