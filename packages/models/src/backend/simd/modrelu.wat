;; FFTNet's filtered modReLU (../fused/modrelu-rows.ts has the same formulas in JavaScript), four
;; float32 lanes at a time: rows of a [B, F, H, d] spectrum, d a multiple of 4, z = (re + i im) s,
;; |z| = sqrt(zr^2 + zi^2 + floor), out = z relu(|z| + b) / max(|z|, c), with s per row (or per
;; [F, H] position, shared by the batch) and b per position. The gradient leaves, per row, the sums
;; of the scale's and the bias's gradients over the row (four lane sums added in a fixed order),
;; for the caller to add over the batch. Rows are independent: slices of rows over threads give
;; the bits of one call. Assembled by scripts/wasm/assemble.mjs into modrelu-wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Byte offset of row r's scale: per row, or per position (r mod rowsPerExample).
  (func $scaleAt (param $scale i32) (param $r i32) (param $rowsPerExample i32) (param $scalePerExample i32) (result i32)
    (i32.add (local.get $scale) (i32.shl
      (select (local.get $r) (i32.rem_u (local.get $r) (local.get $rowsPerExample)) (local.get $scalePerExample))
      (i32.const 2))))

  ;; The sum of v's four lanes, (0 + 1) + (2 + 3).
  (func $lanes (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; Rows [first, last) of re, im into yRe, yIm (byte offsets of the whole tensors).
  (func (export "modRelu")
    (param $re i32) (param $im i32) (param $scale i32) (param $bias i32) (param $yRe i32) (param $yIm i32)
    (param $first i32) (param $last i32) (param $width i32) (param $rowsPerExample i32) (param $scalePerExample i32)
    (param $minMagnitude f32) (param $floor f32)
    (local $r i32) (local $at i32) (local $end i32)
    (local $s v128) (local $b v128) (local $c v128) (local $f v128)
    (local $zr v128) (local $zi v128) (local $m v128) (local $shifted v128) (local $gain v128)
    (local.set $c (f32x4.splat (local.get $minMagnitude)))
    (local.set $f (f32x4.splat (local.get $floor)))
    (local.set $r (local.get $first))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $last)))
      (local.set $s (v128.load32_splat (call $scaleAt (local.get $scale) (local.get $r) (local.get $rowsPerExample) (local.get $scalePerExample))))
      (local.set $b (v128.load32_splat (i32.add (local.get $bias) (i32.shl (i32.rem_u (local.get $r) (local.get $rowsPerExample)) (i32.const 2)))))
      (local.set $at (i32.shl (i32.mul (local.get $r) (local.get $width)) (i32.const 2)))
      (local.set $end (i32.add (local.get $at) (i32.shl (local.get $width) (i32.const 2))))
      (block $rowDone (loop $lanesLoop
        (br_if $rowDone (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $zr (f32x4.mul (v128.load align=4 (i32.add (local.get $re) (local.get $at))) (local.get $s)))
        (local.set $zi (f32x4.mul (v128.load align=4 (i32.add (local.get $im) (local.get $at))) (local.get $s)))
        (local.set $m (f32x4.sqrt (f32x4.add (f32x4.add (f32x4.mul (local.get $zr) (local.get $zr)) (f32x4.mul (local.get $zi) (local.get $zi))) (local.get $f))))
        (local.set $shifted (f32x4.add (local.get $m) (local.get $b)))
        ;; relu(|z| + b) / max(|z|, c): pmax(c, m) is m where c < m, else c.
        (local.set $gain (f32x4.div
          (v128.and (f32x4.gt (local.get $shifted) (v128.const i32x4 0 0 0 0)) (local.get $shifted))
          (f32x4.pmax (local.get $c) (local.get $m))))
        (v128.store align=4 (i32.add (local.get $yRe) (local.get $at)) (f32x4.mul (local.get $zr) (local.get $gain)))
        (v128.store align=4 (i32.add (local.get $yIm) (local.get $at)) (f32x4.mul (local.get $zi) (local.get $gain)))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $lanesLoop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; Rows [first, last) of the gradient: dre, dim, and per row r the scale's and the bias's
  ;; gradient sums at scaleSums + 4 r and biasSums + 4 r. Derivatives as tfjs's kernels take them:
  ;; relu' = [u > 0], max(|z|, c)' = [|z| >= c].
  (func (export "modReluGrad")
    (param $dRe i32) (param $dIm i32) (param $re i32) (param $im i32) (param $scale i32) (param $bias i32)
    (param $dre i32) (param $dim i32) (param $scaleSums i32) (param $biasSums i32)
    (param $first i32) (param $last i32) (param $width i32) (param $rowsPerExample i32) (param $scalePerExample i32)
    (param $minMagnitude f32) (param $floor f32)
    (local $r i32) (local $at i32) (local $end i32)
    (local $s v128) (local $b v128) (local $c v128) (local $f v128)
    (local $xr v128) (local $xi v128) (local $gr v128) (local $gi v128)
    (local $zr v128) (local $zi v128) (local $m v128) (local $shifted v128) (local $positive v128)
    (local $inverse v128) (local $gain v128) (local $dGain v128) (local $viaNumerator v128) (local $perMagnitude v128)
    (local $dzr v128) (local $dzi v128) (local $scaleAcc v128) (local $biasAcc v128)
    (local.set $c (f32x4.splat (local.get $minMagnitude)))
    (local.set $f (f32x4.splat (local.get $floor)))
    (local.set $r (local.get $first))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $last)))
      (local.set $s (v128.load32_splat (call $scaleAt (local.get $scale) (local.get $r) (local.get $rowsPerExample) (local.get $scalePerExample))))
      (local.set $b (v128.load32_splat (i32.add (local.get $bias) (i32.shl (i32.rem_u (local.get $r) (local.get $rowsPerExample)) (i32.const 2)))))
      (local.set $scaleAcc (v128.const i32x4 0 0 0 0))
      (local.set $biasAcc (v128.const i32x4 0 0 0 0))
      (local.set $at (i32.shl (i32.mul (local.get $r) (local.get $width)) (i32.const 2)))
      (local.set $end (i32.add (local.get $at) (i32.shl (local.get $width) (i32.const 2))))
      (block $rowDone (loop $lanesLoop
        (br_if $rowDone (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $xr (v128.load align=4 (i32.add (local.get $re) (local.get $at))))
        (local.set $xi (v128.load align=4 (i32.add (local.get $im) (local.get $at))))
        (local.set $gr (v128.load align=4 (i32.add (local.get $dRe) (local.get $at))))
        (local.set $gi (v128.load align=4 (i32.add (local.get $dIm) (local.get $at))))
        (local.set $zr (f32x4.mul (local.get $xr) (local.get $s)))
        (local.set $zi (f32x4.mul (local.get $xi) (local.get $s)))
        (local.set $m (f32x4.sqrt (f32x4.add (f32x4.add (f32x4.mul (local.get $zr) (local.get $zr)) (f32x4.mul (local.get $zi) (local.get $zi))) (local.get $f))))
        (local.set $shifted (f32x4.add (local.get $m) (local.get $b)))
        (local.set $positive (f32x4.gt (local.get $shifted) (v128.const i32x4 0 0 0 0)))
        (local.set $inverse (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.pmax (local.get $c) (local.get $m))))
        (local.set $gain (f32x4.mul (v128.and (local.get $positive) (local.get $shifted)) (local.get $inverse)))
        ;; dL/dgain, then through gain to |z| (the denominator's part only where |z| >= c) and b.
        (local.set $dGain (f32x4.add (f32x4.mul (local.get $gr) (local.get $zr)) (f32x4.mul (local.get $gi) (local.get $zi))))
        (local.set $viaNumerator (v128.and (local.get $positive) (f32x4.mul (local.get $dGain) (local.get $inverse))))
        (local.set $perMagnitude (f32x4.div
          (f32x4.sub (local.get $viaNumerator)
            (v128.andnot (f32x4.mul (f32x4.mul (local.get $dGain) (local.get $gain)) (local.get $inverse)) (f32x4.lt (local.get $m) (local.get $c))))
          (local.get $m)))
        (local.set $dzr (f32x4.add (f32x4.mul (local.get $gr) (local.get $gain)) (f32x4.mul (local.get $perMagnitude) (local.get $zr))))
        (local.set $dzi (f32x4.add (f32x4.mul (local.get $gi) (local.get $gain)) (f32x4.mul (local.get $perMagnitude) (local.get $zi))))
        (v128.store align=4 (i32.add (local.get $dre) (local.get $at)) (f32x4.mul (local.get $dzr) (local.get $s)))
        (v128.store align=4 (i32.add (local.get $dim) (local.get $at)) (f32x4.mul (local.get $dzi) (local.get $s)))
        (local.set $scaleAcc (f32x4.add (local.get $scaleAcc)
          (f32x4.add (f32x4.mul (local.get $dzr) (local.get $xr)) (f32x4.mul (local.get $dzi) (local.get $xi)))))
        (local.set $biasAcc (f32x4.add (local.get $biasAcc) (local.get $viaNumerator)))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $lanesLoop)))
      (f32.store (i32.add (local.get $scaleSums) (i32.shl (local.get $r) (i32.const 2))) (call $lanes (local.get $scaleAcc)))
      (f32.store (i32.add (local.get $biasSums) (i32.shl (local.get $r) (i32.const 2))) (call $lanes (local.get $biasAcc)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))
)
