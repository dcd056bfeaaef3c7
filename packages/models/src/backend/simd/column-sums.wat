;; Sums over rows, per column, in double precision and in row order, eight columns at a time:
;; the wasm Sum and Mean over leading axes (../wasm/reduce.ts: a bias gradient, a mean over the
;; sequence) and layer norm's scale and bias gradients. The same bits as the JavaScript loops
;; they replace (float32 values added in float64, row by row). Threads split the columns (or the
;; outer blocks), so every column is one thread's sum whatever the count. Widths are multiples of
;; 4; a last group of 4 columns runs alone.
;; The rows are walked in blocks of 32, every column group through one block before the next
;; block (a group at a time down all the rows read every cache line once per group); the float64
;; sums wait in `scratch` (8 bytes per column, 16 for layer norm's two sums) between blocks. In a
;; training step (inputs out of cache) layer norm's [32768, 64] sums took 13.5 ms a group at a
;; time, 10 ms in blocks, and 6 ms with the lane helpers inlined (inline.mjs).
;; Assembled by scripts/wasm/assemble.mjs into column-sums-wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Four float64 sums (two lanes each of lo and hi) divided by d, as four float32 lanes.
  (func $pack (param $lo v128) (param $hi v128) (param $d v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (f64x2.div (local.get $lo) (local.get $d)))
      (f32x4.demote_f64x2_zero (f64x2.div (local.get $hi) (local.get $d)))))

  ;; Zeroes `bytes` bytes (a multiple of 16) at `at`.
  (func $zero (param $at i32) (param $bytes i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $bytes)))
      (v128.store align=8 (local.get $at) (v128.const i32x4 0 0 0 0))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (local.set $bytes (i32.sub (local.get $bytes) (i32.const 16)))
      (br $next))))

  ;; The float32 of `count` float64 sums at `from`, divided by `divisor`, to `to` (count % 4 = 0).
  (func $store (param $from i32) (param $to i32) (param $count i32) (param $divisor v128)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $count)))
      (v128.store align=4 (local.get $to) (call $pack (v128.load align=8 (local.get $from)) (v128.load offset=16 align=8 (local.get $from)) (local.get $divisor)))
      (local.set $from (i32.add (local.get $from) (i32.const 32)))
      (local.set $to (i32.add (local.get $to) (i32.const 16)))
      (local.set $count (i32.sub (local.get $count) (i32.const 4)))
      (br $next))))

  ;; out[c] = (sum over r < rows of x[r * rowBytes / 4 + c]) / divisor for c < width (x at its
  ;; first column, out at its first output; byte offsets); scratch: 8 x width bytes.
  (func (export "sumColumns")
    (param $x i32) (param $rows i32) (param $rowBytes i32) (param $width i32) (param $out i32) (param $divisor f64) (param $scratch i32)
    (local $r0 i32) (local $block i32) (local $c i32) (local $left i32) (local $r i32) (local $at i32) (local $acc i32)
    (local $v v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (call $zero (local.get $scratch) (i32.shl (local.get $width) (i32.const 3)))
    (block $blocksDone (loop $blocks
      (br_if $blocksDone (i32.ge_u (local.get $r0) (local.get $rows)))
      (local.set $block (select (i32.const 32) (i32.sub (local.get $rows) (local.get $r0))
        (i32.le_u (i32.add (local.get $r0) (i32.const 32)) (local.get $rows))))
      (local.set $c (i32.const 0))
      (block $groupsDone (loop $groups
        (local.set $left (i32.sub (local.get $width) (local.get $c)))
        (br_if $groupsDone (i32.lt_u (local.get $left) (i32.const 4)))
        (local.set $acc (i32.add (local.get $scratch) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $a0 (v128.load align=8 (local.get $acc)))
        (local.set $a1 (v128.load offset=16 align=8 (local.get $acc)))
        (local.set $at (i32.add (i32.add (local.get $x) (i32.mul (local.get $r0) (local.get $rowBytes))) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $r (local.get $block))
        (if (i32.ge_u (local.get $left) (i32.const 8))
          (then
            (local.set $a2 (v128.load offset=32 align=8 (local.get $acc)))
            (local.set $a3 (v128.load offset=48 align=8 (local.get $acc)))
            (block $rowsDone (loop $row
              (br_if $rowsDone (i32.eqz (local.get $r)))
              (local.set $v (v128.load align=4 (local.get $at)))
              (local.set $a0 (f64x2.add (local.get $a0) (f64x2.promote_low_f32x4 (local.get $v))))
              (local.set $a1 (f64x2.add (local.get $a1) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
              (local.set $v (v128.load offset=16 align=4 (local.get $at)))
              (local.set $a2 (f64x2.add (local.get $a2) (f64x2.promote_low_f32x4 (local.get $v))))
              (local.set $a3 (f64x2.add (local.get $a3) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
              (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
              (local.set $r (i32.sub (local.get $r) (i32.const 1)))
              (br $row)))
            (v128.store offset=32 align=8 (local.get $acc) (local.get $a2))
            (v128.store offset=48 align=8 (local.get $acc) (local.get $a3))
            (local.set $c (i32.add (local.get $c) (i32.const 8))))
          (else
            (block $rowsDone (loop $row
              (br_if $rowsDone (i32.eqz (local.get $r)))
              (local.set $v (v128.load align=4 (local.get $at)))
              (local.set $a0 (f64x2.add (local.get $a0) (f64x2.promote_low_f32x4 (local.get $v))))
              (local.set $a1 (f64x2.add (local.get $a1) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
              (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
              (local.set $r (i32.sub (local.get $r) (i32.const 1)))
              (br $row)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))))
        (v128.store align=8 (local.get $acc) (local.get $a0))
        (v128.store offset=16 align=8 (local.get $acc) (local.get $a1))
        (br $groups)))
      (local.set $r0 (i32.add (local.get $r0) (local.get $block)))
      (br $blocks)))
    (call $store (local.get $scratch) (local.get $out) (local.get $width) (f64x2.splat (local.get $divisor))))

  ;; dy xhat (xhat = (x - mean) rstd) and dy summed over rows, per column, for columns
  ;; [0, width) from x, dy, dscale and dbias (each at its first column): layer norm's scale and
  ;; bias gradients, as ../fused/layer-norm-rows.ts's layerNormGradRowSums sums them. scratch:
  ;; 16 x width bytes (the scale sums, then the bias sums).
  (func (export "layerNormColumnSums")
    (param $dy i32) (param $x i32) (param $mean i32) (param $rstd i32) (param $rows i32) (param $rowBytes i32)
    (param $width i32) (param $dscale i32) (param $dbias i32) (param $scratch i32)
    (local $r0 i32) (local $block i32) (local $c i32) (local $left i32) (local $r i32) (local $wide i32)
    (local $atX i32) (local $atDy i32) (local $atMean i32) (local $atRstd i32) (local $acc i32) (local $accB i32)
    (local $v v128) (local $g v128) (local $mu v128) (local $inv v128) (local $e v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (call $zero (local.get $scratch) (i32.shl (local.get $width) (i32.const 4)))
    (block $blocksDone (loop $blocks
      (br_if $blocksDone (i32.ge_u (local.get $r0) (local.get $rows)))
      (local.set $block (select (i32.const 32) (i32.sub (local.get $rows) (local.get $r0))
        (i32.le_u (i32.add (local.get $r0) (i32.const 32)) (local.get $rows))))
      (local.set $c (i32.const 0))
      (block $groupsDone (loop $groups
        (local.set $left (i32.sub (local.get $width) (local.get $c)))
        (br_if $groupsDone (i32.lt_u (local.get $left) (i32.const 4)))
        (local.set $wide (i32.ge_u (local.get $left) (i32.const 8)))
        (local.set $acc (i32.add (local.get $scratch) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $accB (i32.add (local.get $acc) (i32.shl (local.get $width) (i32.const 3))))
        (local.set $s0 (v128.load align=8 (local.get $acc)))
        (local.set $s1 (v128.load offset=16 align=8 (local.get $acc)))
        (local.set $b0 (v128.load align=8 (local.get $accB)))
        (local.set $b1 (v128.load offset=16 align=8 (local.get $accB)))
        (if (local.get $wide) (then
          (local.set $s2 (v128.load offset=32 align=8 (local.get $acc)))
          (local.set $s3 (v128.load offset=48 align=8 (local.get $acc)))
          (local.set $b2 (v128.load offset=32 align=8 (local.get $accB)))
          (local.set $b3 (v128.load offset=48 align=8 (local.get $accB)))))
        (local.set $atX (i32.add (i32.add (local.get $x) (i32.mul (local.get $r0) (local.get $rowBytes))) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $atDy (i32.add (i32.add (local.get $dy) (i32.mul (local.get $r0) (local.get $rowBytes))) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $atMean (i32.add (local.get $mean) (i32.shl (local.get $r0) (i32.const 2))))
        (local.set $atRstd (i32.add (local.get $rstd) (i32.shl (local.get $r0) (i32.const 2))))
        (local.set $r (local.get $block))
        (block $rowsDone (loop $row
          (br_if $rowsDone (i32.eqz (local.get $r)))
          (local.set $mu (f64x2.splat (f64.promote_f32 (f32.load (local.get $atMean)))))
          (local.set $inv (f64x2.splat (f64.promote_f32 (f32.load (local.get $atRstd)))))
          (local.set $v (v128.load align=4 (local.get $atX)))
          (local.set $g (v128.load align=4 (local.get $atDy)))
          (local.set $e (f64x2.promote_low_f32x4 (local.get $g)))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $e)
            (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mu)) (local.get $inv)))))
          (local.set $b0 (f64x2.add (local.get $b0) (local.get $e)))
          (local.set $e (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $g) (local.get $g))))
          (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $e)
            (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $mu)) (local.get $inv)))))
          (local.set $b1 (f64x2.add (local.get $b1) (local.get $e)))
          (if (local.get $wide) (then
            (local.set $v (v128.load offset=16 align=4 (local.get $atX)))
            (local.set $g (v128.load offset=16 align=4 (local.get $atDy)))
            (local.set $e (f64x2.promote_low_f32x4 (local.get $g)))
            (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $e)
              (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mu)) (local.get $inv)))))
            (local.set $b2 (f64x2.add (local.get $b2) (local.get $e)))
            (local.set $e (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $g) (local.get $g))))
            (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $e)
              (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $mu)) (local.get $inv)))))
            (local.set $b3 (f64x2.add (local.get $b3) (local.get $e)))))
          (local.set $atX (i32.add (local.get $atX) (local.get $rowBytes)))
          (local.set $atDy (i32.add (local.get $atDy) (local.get $rowBytes)))
          (local.set $atMean (i32.add (local.get $atMean) (i32.const 4)))
          (local.set $atRstd (i32.add (local.get $atRstd) (i32.const 4)))
          (local.set $r (i32.sub (local.get $r) (i32.const 1)))
          (br $row)))
        (v128.store align=8 (local.get $acc) (local.get $s0))
        (v128.store offset=16 align=8 (local.get $acc) (local.get $s1))
        (v128.store align=8 (local.get $accB) (local.get $b0))
        (v128.store offset=16 align=8 (local.get $accB) (local.get $b1))
        (if (local.get $wide)
          (then
            (v128.store offset=32 align=8 (local.get $acc) (local.get $s2))
            (v128.store offset=48 align=8 (local.get $acc) (local.get $s3))
            (v128.store offset=32 align=8 (local.get $accB) (local.get $b2))
            (v128.store offset=48 align=8 (local.get $accB) (local.get $b3))
            (local.set $c (i32.add (local.get $c) (i32.const 8))))
          (else (local.set $c (i32.add (local.get $c) (i32.const 4)))))
        (br $groups)))
      (local.set $r0 (i32.add (local.get $r0) (local.get $block)))
      (br $blocks)))
    (call $store (local.get $scratch) (local.get $dscale) (local.get $width) (f64x2.splat (f64.const 1)))
    (call $store (i32.add (local.get $scratch) (i32.shl (local.get $width) (i32.const 3))) (local.get $dbias) (local.get $width) (f64x2.splat (f64.const 1))))
)
