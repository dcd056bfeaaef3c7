;; Layer norm over rows of width d (a multiple of 4), four float32 lanes at a time over the wasm
;; backend's heap: the forward pass (y, and each row's mean and rstd), and the gradient's dx.
;; The scale and bias gradients (sums over rows, in double precision) stay in JavaScript
;; (../fused/layer-norm-rows.ts). Every row is computed alone, so slices of rows over threads give
;; the bits of one call. Assembled by scripts/wasm/assemble.mjs into layer-norm-wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; The sum of a vector's four lanes, in a fixed order.
  (func $lanes (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; Rows [0, rows) of x [rows, d]: mean, rstd = 1 / sqrt(var + eps) (biased variance, two
  ;; passes), y = (x - mean) rstd scale + bias. All pointers are byte offsets.
  (func (export "layerNorm")
    (param $x i32) (param $scale i32) (param $bias i32) (param $y i32) (param $mean i32) (param $rstd i32)
    (param $rows i32) (param $d i32) (param $eps f32)
    (local $rowBytes i32) (local $j i32) (local $acc v128) (local $c v128) (local $mu f32) (local $inv f32)
    (local $muv v128) (local $invv v128)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        ;; mean
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $sumDone (loop $sum
          (br_if $sumDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
          (local.set $acc (f32x4.add (local.get $acc) (v128.load align=4 (i32.add (local.get $x) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $sum)))
        (local.set $mu (f32.div (call $lanes (local.get $acc)) (f32.convert_i32_u (local.get $d))))
        (local.set $muv (f32x4.splat (local.get $mu)))
        ;; variance about the mean
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $varDone (loop $var
          (br_if $varDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
          (local.set $c (f32x4.sub (v128.load align=4 (i32.add (local.get $x) (local.get $j))) (local.get $muv)))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $c) (local.get $c))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $var)))
        (local.set $inv (f32.div (f32.const 1)
          (f32.sqrt (f32.add (f32.div (call $lanes (local.get $acc)) (f32.convert_i32_u (local.get $d))) (local.get $eps)))))
        (local.set $invv (f32x4.splat (local.get $inv)))
        (f32.store (local.get $mean) (local.get $mu))
        (f32.store (local.get $rstd) (local.get $inv))
        ;; y
        (local.set $j (i32.const 0))
        (block $outDone (loop $out
          (br_if $outDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
          (v128.store align=4 (i32.add (local.get $y) (local.get $j))
            (f32x4.add
              (f32x4.mul
                (f32x4.mul (f32x4.sub (v128.load align=4 (i32.add (local.get $x) (local.get $j))) (local.get $muv)) (local.get $invv))
                (v128.load align=4 (i32.add (local.get $scale) (local.get $j))))
              (v128.load align=4 (i32.add (local.get $bias) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $out)))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $y (i32.add (local.get $y) (local.get $rowBytes)))
        (local.set $mean (i32.add (local.get $mean) (i32.const 4)))
        (local.set $rstd (i32.add (local.get $rstd) (i32.const 4)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; dx of rows [0, rows): with xhat = (x - mean) rstd and g = dy scale,
  ;; dx = rstd (g - mean(g) - xhat mean(g xhat)).
  (func (export "layerNormGradDx")
    (param $dy i32) (param $x i32) (param $scale i32) (param $mean i32) (param $rstd i32) (param $dx i32)
    (param $rows i32) (param $d i32)
    (local $rowBytes i32) (local $j i32) (local $muv v128) (local $invv v128) (local $xhat v128) (local $g v128)
    (local $gSum v128) (local $gxSum v128) (local $gMean v128) (local $gxMean v128) (local $n f32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $n (f32.convert_i32_u (local.get $d)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $muv (v128.load32_splat (local.get $mean)))
        (local.set $invv (v128.load32_splat (local.get $rstd)))
        (local.set $gSum (v128.const i32x4 0 0 0 0))
        (local.set $gxSum (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $sumDone (loop $sum
          (br_if $sumDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
          (local.set $xhat (f32x4.mul (f32x4.sub (v128.load align=4 (i32.add (local.get $x) (local.get $j))) (local.get $muv)) (local.get $invv)))
          (local.set $g (f32x4.mul (v128.load align=4 (i32.add (local.get $dy) (local.get $j))) (v128.load align=4 (i32.add (local.get $scale) (local.get $j)))))
          (local.set $gSum (f32x4.add (local.get $gSum) (local.get $g)))
          (local.set $gxSum (f32x4.add (local.get $gxSum) (f32x4.mul (local.get $g) (local.get $xhat))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $sum)))
        (local.set $gMean (f32x4.splat (f32.div (call $lanes (local.get $gSum)) (local.get $n))))
        (local.set $gxMean (f32x4.splat (f32.div (call $lanes (local.get $gxSum)) (local.get $n))))
        (local.set $j (i32.const 0))
        (block $outDone (loop $out
          (br_if $outDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
          (local.set $xhat (f32x4.mul (f32x4.sub (v128.load align=4 (i32.add (local.get $x) (local.get $j))) (local.get $muv)) (local.get $invv)))
          (local.set $g (f32x4.mul (v128.load align=4 (i32.add (local.get $dy) (local.get $j))) (v128.load align=4 (i32.add (local.get $scale) (local.get $j)))))
          (v128.store align=4 (i32.add (local.get $dx) (local.get $j))
            (f32x4.mul (local.get $invv)
              (f32x4.sub (f32x4.sub (local.get $g) (local.get $gMean)) (f32x4.mul (local.get $xhat) (local.get $gxMean)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $out)))
        (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $dx (i32.add (local.get $dx) (local.get $rowBytes)))
        (local.set $mean (i32.add (local.get $mean) (i32.const 4)))
        (local.set $rstd (i32.add (local.get $rstd) (i32.const 4)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))
)
