;; Row moves of an embedding table on the wasm heap: the lookup (gather of whole rows by index,
;; ../wasm/gather.ts) and its gradient (the sum of rows into segments by index,
;; ../wasm/unsorted-segment-sum.ts), four lanes at a time. A gather copies bits; each sum is
;; taken over the rows in order by one call, as the JavaScript loop does, so any slicing by
;; indices (gather) or columns (sums) gives the same bits. Assembled by scripts/wasm/assemble.mjs
;; into rows-wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Copies `floats` 4-byte values from `from` to `to` (regions apart).
  (func $copy (param $from i32) (param $to i32) (param $floats i32)
    (local $c i32)
    (block $lanesDone
      (loop $lanes
        (br_if $lanesDone (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $floats)))
        (v128.store align=4 (i32.add (local.get $to) (i32.shl (local.get $c) (i32.const 2)))
          (v128.load align=4 (i32.add (local.get $from) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $lanes)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $c) (local.get $floats)))
        (i32.store align=4 (i32.add (local.get $to) (i32.shl (local.get $c) (i32.const 2)))
          (i32.load align=4 (i32.add (local.get $from) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $tail))))

  ;; out[j] = x[ids[j]] for j in [first, last): rows of `width` values (float32 or int32), byte
  ;; offsets; the indices are valid (checked by the caller).
  (func (export "gatherRows")
    (param $x i32) (param $ids i32) (param $out i32) (param $width i32) (param $first i32) (param $last i32)
    (local $j i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 2)))
    (local.set $j (local.get $first))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $last)))
        (call $copy
          (i32.add (local.get $x) (i32.mul (i32.load align=4 (i32.add (local.get $ids) (i32.shl (local.get $j) (i32.const 2)))) (local.get $rowBytes)))
          (i32.add (local.get $out) (i32.mul (local.get $j) (local.get $rowBytes)))
          (local.get $width))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next))))

  ;; Columns [c0, c1) of out [segments, width] = the sums of the rows of x [count, width] by
  ;; their segment ids[i], in order of i; ids outside [0, segments) are dropped. Float32.
  (func (export "segmentSum")
    (param $x i32) (param $ids i32) (param $out i32) (param $count i32) (param $width i32) (param $segments i32)
    (param $c0 i32) (param $c1 i32)
    (local $i i32) (local $s i32) (local $c i32) (local $from i32) (local $to i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 2)))
    ;; Zeros first, in this call's columns only.
    (local.set $s (i32.const 0))
    (block $zeroed
      (loop $zero
        (br_if $zeroed (i32.ge_u (local.get $s) (local.get $segments)))
        (local.set $c (local.get $c0))
        (block $rowZeroed
          (loop $zeroColumn
            (br_if $rowZeroed (i32.ge_u (local.get $c) (local.get $c1)))
            (f32.store align=4 (i32.add (local.get $out) (i32.add (i32.mul (local.get $s) (local.get $rowBytes)) (i32.shl (local.get $c) (i32.const 2))))
              (f32.const 0))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $zeroColumn)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $zero)))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $s (i32.load align=4 (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))))
        ;; Unsigned: a negative id is above every segment count.
        (if (i32.lt_u (local.get $s) (local.get $segments))
          (then
            (local.set $from (i32.add (local.get $x) (i32.add (i32.mul (local.get $i) (local.get $rowBytes)) (i32.shl (local.get $c0) (i32.const 2)))))
            (local.set $to (i32.add (local.get $out) (i32.add (i32.mul (local.get $s) (local.get $rowBytes)) (i32.shl (local.get $c0) (i32.const 2)))))
            (local.set $c (local.get $c0))
            (block $lanesDone
              (loop $lanes
                (br_if $lanesDone (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $c1)))
                (v128.store align=4 (local.get $to) (f32x4.add (v128.load align=4 (local.get $to)) (v128.load align=4 (local.get $from))))
                (local.set $from (i32.add (local.get $from) (i32.const 16)))
                (local.set $to (i32.add (local.get $to) (i32.const 16)))
                (local.set $c (i32.add (local.get $c) (i32.const 4)))
                (br $lanes)))
            (block $tailDone
              (loop $tail
                (br_if $tailDone (i32.ge_u (local.get $c) (local.get $c1)))
                (f32.store align=4 (local.get $to) (f32.add (f32.load align=4 (local.get $to)) (f32.load align=4 (local.get $from))))
                (local.set $from (i32.add (local.get $from) (i32.const 4)))
                (local.set $to (i32.add (local.get $to) (i32.const 4)))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $tail)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))
)
