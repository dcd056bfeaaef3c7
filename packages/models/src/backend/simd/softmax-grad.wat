;; The softmax gradient dx = y (dy - sum(dy y)) per row of n (a multiple of 4), four float32 lanes
;; at a time over the wasm backend's heap: the row's dot product in four lane sums added in a
;; fixed order, then one pass for dx. Rows are independent: slices of rows over threads give the
;; bits of one call. Assembled by scripts/wasm/assemble.mjs into softmax-grad-wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Rows [0, rows) of dy, y and dx (byte offsets), each of n floats.
  (func (export "softmaxGrad") (param $dy i32) (param $y i32) (param $dx i32) (param $rows i32) (param $n i32)
    (local $rowBytes i32) (local $j i32) (local $acc v128) (local $dot v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $sumDone (loop $sum
          (br_if $sumDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
          (local.set $acc (f32x4.add (local.get $acc)
            (f32x4.mul (v128.load align=4 (i32.add (local.get $dy) (local.get $j))) (v128.load align=4 (i32.add (local.get $y) (local.get $j))))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $sum)))
        (local.set $dot (f32x4.splat
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))))
        (local.set $j (i32.const 0))
        (block $outDone (loop $out
          (br_if $outDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
          (v128.store align=4 (i32.add (local.get $dx) (local.get $j))
            (f32x4.mul (v128.load align=4 (i32.add (local.get $y) (local.get $j)))
              (f32x4.sub (v128.load align=4 (i32.add (local.get $dy) (local.get $j))) (local.get $dot))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $out)))
        (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
        (local.set $y (i32.add (local.get $y) (local.get $rowBytes)))
        (local.set $dx (i32.add (local.get $dx) (local.get $rowBytes)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))
)
