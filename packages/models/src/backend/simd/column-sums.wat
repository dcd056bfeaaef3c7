;; Sums over rows, per column, in double precision and in row order, eight columns at a time:
;; the wasm Sum and Mean over leading axes (../wasm/reduce.ts: a bias gradient, a mean over the
;; sequence) and layer norm's scale and bias gradients. The same bits as the JavaScript loops
;; they replace (float32 values added in float64, row by row). Threads split the columns, so every
;; column is one thread's sum whatever the count. Widths are multiples of 4; a last group of 4
;; columns runs alone. Assembled by scripts/wasm/assemble.mjs into column-sums-wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; float32 lanes 2 and 3 of v as float64.
  (func $high (param $v v128) (result v128)
    (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))

;; out[c] = (sum over r < rows of x[r * rowBytes / 4 + c]) / divisor for c < width (x at its
  ;; first column, out at its first output; byte offsets).
  (func (export "sumColumns")
    (param $x i32) (param $rows i32) (param $rowBytes i32) (param $width i32) (param $out i32) (param $divisor f64)
    (local $r i32) (local $at i32) (local $wide i32) (local $step i32) (local $v v128) (local $d v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $d (f64x2.splat (local.get $divisor)))
    (block $done
      (loop $group
        (br_if $done (i32.lt_u (local.get $width) (i32.const 4)))
        (local.set $wide (i32.ge_u (local.get $width) (i32.const 8)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $r (local.get $rows))
        (local.set $at (local.get $x))
        (block $rowsDone (loop $row
          (br_if $rowsDone (i32.eqz (local.get $r)))
          (local.set $v (v128.load align=4 (local.get $at)))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.promote_low_f32x4 (local.get $v))))
          (local.set $a1 (f64x2.add (local.get $a1) (call $high (local.get $v))))
          (if (local.get $wide) (then
            (local.set $v (v128.load offset=16 align=4 (local.get $at)))
            (local.set $a2 (f64x2.add (local.get $a2) (f64x2.promote_low_f32x4 (local.get $v))))
            (local.set $a3 (f64x2.add (local.get $a3) (call $high (local.get $v))))))
          (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
          (local.set $r (i32.sub (local.get $r) (i32.const 1)))
          (br $row)))
        (v128.store align=4 (local.get $out) (call $pack (local.get $a0) (local.get $a1) (local.get $d)))
        (if (local.get $wide) (then
          (v128.store offset=16 align=4 (local.get $out) (call $pack (local.get $a2) (local.get $a3) (local.get $d)))))
        (local.set $step (select (i32.const 32) (i32.const 16) (local.get $wide)))
        (local.set $x (i32.add (local.get $x) (local.get $step)))
        (local.set $out (i32.add (local.get $out) (local.get $step)))
        (local.set $width (i32.sub (local.get $width) (i32.shr_u (local.get $step) (i32.const 2))))
        (br $group))))

  ;; Four float64 sums (two lanes each of lo and hi) divided by d, as four float32 lanes.
  (func $pack (param $lo v128) (param $hi v128) (param $d v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (f64x2.div (local.get $lo) (local.get $d)))
      (f32x4.demote_f64x2_zero (f64x2.div (local.get $hi) (local.get $d)))))

  ;; dy xhat (xhat = (x - mean) rstd) and dy summed over rows, per column, for columns
  ;; [0, width) from x, dy, dscale and dbias (each at its first column): layer norm's scale and
  ;; bias gradients, as ../fused/layer-norm-rows.ts's layerNormGradRowSums sums them.
  (func (export "layerNormColumnSums")
    (param $dy i32) (param $x i32) (param $mean i32) (param $rstd i32) (param $rows i32) (param $rowBytes i32)
    (param $width i32) (param $dscale i32) (param $dbias i32)
    (local $r i32) (local $atX i32) (local $atDy i32) (local $atMean i32) (local $atRstd i32) (local $wide i32) (local $step i32)
    (local $v v128) (local $g v128) (local $mu v128) (local $inv v128) (local $e v128) (local $one v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $one (f64x2.splat (f64.const 1)))
    (block $done
      (loop $group
        (br_if $done (i32.lt_u (local.get $width) (i32.const 4)))
        (local.set $wide (i32.ge_u (local.get $width) (i32.const 8)))
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $s2 (v128.const i32x4 0 0 0 0))
        (local.set $s3 (v128.const i32x4 0 0 0 0))
        (local.set $b0 (v128.const i32x4 0 0 0 0))
        (local.set $b1 (v128.const i32x4 0 0 0 0))
        (local.set $b2 (v128.const i32x4 0 0 0 0))
        (local.set $b3 (v128.const i32x4 0 0 0 0))
        (local.set $r (local.get $rows))
        (local.set $atX (local.get $x))
        (local.set $atDy (local.get $dy))
        (local.set $atMean (local.get $mean))
        (local.set $atRstd (local.get $rstd))
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
          (local.set $e (call $high (local.get $g)))
          (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $e)
            (f64x2.mul (f64x2.sub (call $high (local.get $v)) (local.get $mu)) (local.get $inv)))))
          (local.set $b1 (f64x2.add (local.get $b1) (local.get $e)))
          (if (local.get $wide) (then
            (local.set $v (v128.load offset=16 align=4 (local.get $atX)))
            (local.set $g (v128.load offset=16 align=4 (local.get $atDy)))
            (local.set $e (f64x2.promote_low_f32x4 (local.get $g)))
            (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $e)
              (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mu)) (local.get $inv)))))
            (local.set $b2 (f64x2.add (local.get $b2) (local.get $e)))
            (local.set $e (call $high (local.get $g)))
            (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $e)
              (f64x2.mul (f64x2.sub (call $high (local.get $v)) (local.get $mu)) (local.get $inv)))))
            (local.set $b3 (f64x2.add (local.get $b3) (local.get $e)))))
          (local.set $atX (i32.add (local.get $atX) (local.get $rowBytes)))
          (local.set $atDy (i32.add (local.get $atDy) (local.get $rowBytes)))
          (local.set $atMean (i32.add (local.get $atMean) (i32.const 4)))
          (local.set $atRstd (i32.add (local.get $atRstd) (i32.const 4)))
          (local.set $r (i32.sub (local.get $r) (i32.const 1)))
          (br $row)))
        (v128.store align=4 (local.get $dscale) (call $pack (local.get $s0) (local.get $s1) (local.get $one)))
        (v128.store align=4 (local.get $dbias) (call $pack (local.get $b0) (local.get $b1) (local.get $one)))
        (if (local.get $wide) (then
          (v128.store offset=16 align=4 (local.get $dscale) (call $pack (local.get $s2) (local.get $s3) (local.get $one)))
          (v128.store offset=16 align=4 (local.get $dbias) (call $pack (local.get $b2) (local.get $b3) (local.get $one)))))
        (local.set $step (select (i32.const 32) (i32.const 16) (local.get $wide)))
        (local.set $x (i32.add (local.get $x) (local.get $step)))
        (local.set $dy (i32.add (local.get $dy) (local.get $step)))
        (local.set $dscale (i32.add (local.get $dscale) (local.get $step)))
        (local.set $dbias (i32.add (local.get $dbias) (local.get $step)))
        (local.set $width (i32.sub (local.get $width) (i32.shr_u (local.get $step) (i32.const 2))))
        (br $group))))
)
