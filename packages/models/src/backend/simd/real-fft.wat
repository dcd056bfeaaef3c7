;; FFTs in SIMD lanes (float32, radix-4 Stockham with a last radix-2 stage, power-of-two lengths). cfft4: four complex
;; rows, one per lane. rfft8 and irfft8: real FFTs of eight rows at a time: rows 2k and 2k + 1 of a group travel as the
;; real and imaginary parts of lane k of one complex signal (as ../../spectral/plan/real-rows.ts
;; pairs rows in JavaScript), four complex signals transformed together by a radix-2 Stockham FFT
;; in float32 (power-of-two lengths). Rows are read and written through (base, row step, sample
;; step) in bytes, so contiguous rows [rows, n] and the middle axis of [outer, n, inner] alike.
;; Work: two buffers of n elements of 32 bytes (4 real lanes, then 4 imaginary lanes) at `work`,
;; and the twiddles exp(-2 pi i k / n), k < n (radix 4 reaches 3n/4), as float32 (re, im) pairs at `twiddles`.
;; Assembled by scripts/wasm/assemble.mjs into real-fft-wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

;; The forward DFT of the n elements at a (b: the second buffer); returns the buffer holding it.
  ;; Radix-4 stages while 4 divides the remaining length, then one radix-2 stage if log2 n is odd.
  ;; Stage with remaining length len and stride s: for p < len/4, q < s, with a..d the elements
  ;; s (p + j len/4) + q and w = W_n^(p s): out s (4p + r) + q = (a + c) + (b + d), w (a - c - i(b - d)),
  ;; w^2 ((a + c) - (b + d)), w^3 (a - c + i(b - d)) for r = 0..3.
  (func $fft (param $a i32) (param $b i32) (param $n i32) (param $twiddles i32) (result i32)
    (local $len i32) (local $m i32) (local $s i32) (local $p i32) (local $q i32) (local $t i32)
    (local $sBytes i32) (local $quarter i32) (local $ia i32) (local $oa i32) (local $w i32)
    (local $w1r v128) (local $w1i v128) (local $w2r v128) (local $w2i v128) (local $w3r v128) (local $w3i v128)
    (local $ar v128) (local $ai v128) (local $br v128) (local $bi v128) (local $cr v128) (local $ci v128) (local $dr v128) (local $di v128)
    (local $xr v128) (local $xi v128) (local $yr v128) (local $yi v128)
    (local.set $len (local.get $n))
    (local.set $s (i32.const 1))
    (block $radix4Done
      (loop $stage
        (br_if $radix4Done (i32.lt_u (local.get $len) (i32.const 4)))
        (local.set $m (i32.shr_u (local.get $len) (i32.const 2)))
        (local.set $sBytes (i32.shl (local.get $s) (i32.const 5)))
        ;; bytes between a, b, c and d
        (local.set $quarter (i32.mul (local.get $m) (local.get $sBytes)))
        (local.set $p (i32.const 0))
        (block $pDone
          (loop $pLoop
            (br_if $pDone (i32.ge_u (local.get $p) (local.get $m)))
            (local.set $w (i32.shl (i32.mul (local.get $p) (local.get $s)) (i32.const 3)))
            (local.set $w1r (v128.load32_splat (i32.add (local.get $twiddles) (local.get $w))))
            (local.set $w1i (v128.load32_splat offset=4 (i32.add (local.get $twiddles) (local.get $w))))
            (local.set $w2r (v128.load32_splat (i32.add (local.get $twiddles) (i32.shl (local.get $w) (i32.const 1)))))
            (local.set $w2i (v128.load32_splat offset=4 (i32.add (local.get $twiddles) (i32.shl (local.get $w) (i32.const 1)))))
            (local.set $w3r (v128.load32_splat (i32.add (local.get $twiddles) (i32.mul (local.get $w) (i32.const 3)))))
            (local.set $w3i (v128.load32_splat offset=4 (i32.add (local.get $twiddles) (i32.mul (local.get $w) (i32.const 3)))))
            (local.set $ia (i32.add (local.get $a) (i32.mul (local.get $p) (local.get $sBytes))))
            (local.set $oa (i32.add (local.get $b) (i32.shl (i32.mul (local.get $p) (local.get $sBytes)) (i32.const 2))))
            (local.set $q (local.get $s))
            (block $qDone
              (loop $qLoop
                (br_if $qDone (i32.eqz (local.get $q)))
                (local.set $ar (v128.load (local.get $ia)))
                (local.set $ai (v128.load offset=16 (local.get $ia)))
                (local.set $t (i32.add (local.get $ia) (local.get $quarter)))
                (local.set $br (v128.load (local.get $t)))
                (local.set $bi (v128.load offset=16 (local.get $t)))
                (local.set $t (i32.add (local.get $t) (local.get $quarter)))
                (local.set $cr (v128.load (local.get $t)))
                (local.set $ci (v128.load offset=16 (local.get $t)))
                (local.set $t (i32.add (local.get $t) (local.get $quarter)))
                (local.set $dr (v128.load (local.get $t)))
                (local.set $di (v128.load offset=16 (local.get $t)))
                ;; x = a + c, y = b + d: out 0 = x + y, out 2 = w^2 (x - y)
                (local.set $xr (f32x4.add (local.get $ar) (local.get $cr)))
                (local.set $xi (f32x4.add (local.get $ai) (local.get $ci)))
                (local.set $yr (f32x4.add (local.get $br) (local.get $dr)))
                (local.set $yi (f32x4.add (local.get $bi) (local.get $di)))
                (v128.store (local.get $oa) (f32x4.add (local.get $xr) (local.get $yr)))
                (v128.store offset=16 (local.get $oa) (f32x4.add (local.get $xi) (local.get $yi)))
                (local.set $t (i32.add (local.get $oa) (i32.shl (local.get $sBytes) (i32.const 1))))
                (local.set $xr (f32x4.sub (local.get $xr) (local.get $yr)))
                (local.set $xi (f32x4.sub (local.get $xi) (local.get $yi)))
                (v128.store (local.get $t) (f32x4.sub (f32x4.mul (local.get $xr) (local.get $w2r)) (f32x4.mul (local.get $xi) (local.get $w2i))))
                (v128.store offset=16 (local.get $t) (f32x4.add (f32x4.mul (local.get $xr) (local.get $w2i)) (f32x4.mul (local.get $xi) (local.get $w2r))))
                ;; x = a - c, y = i (b - d) = (-(bi - di), br - dr): out 1 = w (x - y), out 3 = w^3 (x + y)
                (local.set $xr (f32x4.sub (local.get $ar) (local.get $cr)))
                (local.set $xi (f32x4.sub (local.get $ai) (local.get $ci)))
                (local.set $yr (f32x4.sub (local.get $di) (local.get $bi)))
                (local.set $yi (f32x4.sub (local.get $br) (local.get $dr)))
                (local.set $t (i32.add (local.get $oa) (local.get $sBytes)))
                (local.set $ar (f32x4.sub (local.get $xr) (local.get $yr)))
                (local.set $ai (f32x4.sub (local.get $xi) (local.get $yi)))
                (v128.store (local.get $t) (f32x4.sub (f32x4.mul (local.get $ar) (local.get $w1r)) (f32x4.mul (local.get $ai) (local.get $w1i))))
                (v128.store offset=16 (local.get $t) (f32x4.add (f32x4.mul (local.get $ar) (local.get $w1i)) (f32x4.mul (local.get $ai) (local.get $w1r))))
                (local.set $t (i32.add (local.get $t) (i32.shl (local.get $sBytes) (i32.const 1))))
                (local.set $ar (f32x4.add (local.get $xr) (local.get $yr)))
                (local.set $ai (f32x4.add (local.get $xi) (local.get $yi)))
                (v128.store (local.get $t) (f32x4.sub (f32x4.mul (local.get $ar) (local.get $w3r)) (f32x4.mul (local.get $ai) (local.get $w3i))))
                (v128.store offset=16 (local.get $t) (f32x4.add (f32x4.mul (local.get $ar) (local.get $w3i)) (f32x4.mul (local.get $ai) (local.get $w3r))))
                (local.set $ia (i32.add (local.get $ia) (i32.const 32)))
                (local.set $oa (i32.add (local.get $oa) (i32.const 32)))
                (local.set $q (i32.sub (local.get $q) (i32.const 1)))
                (br $qLoop)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $pLoop)))
        (local.set $t (local.get $a))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $len (local.get $m))
        (local.set $s (i32.shl (local.get $s) (i32.const 2)))
        (br $stage)))
    ;; A last radix-2 stage (len 2, p = 0, w = 1): out q = a + b, out s + q = a - b.
    (if (i32.eq (local.get $len) (i32.const 2))
      (then
        (local.set $sBytes (i32.shl (local.get $s) (i32.const 5)))
        (local.set $ia (local.get $a))
        (local.set $oa (local.get $b))
        (local.set $q (local.get $s))
        (block $qDone
          (loop $qLoop
            (br_if $qDone (i32.eqz (local.get $q)))
            (local.set $ar (v128.load (local.get $ia)))
            (local.set $ai (v128.load offset=16 (local.get $ia)))
            (local.set $t (i32.add (local.get $ia) (local.get $sBytes)))
            (local.set $br (v128.load (local.get $t)))
            (local.set $bi (v128.load offset=16 (local.get $t)))
            (v128.store (local.get $oa) (f32x4.add (local.get $ar) (local.get $br)))
            (v128.store offset=16 (local.get $oa) (f32x4.add (local.get $ai) (local.get $bi)))
            (local.set $t (i32.add (local.get $oa) (local.get $sBytes)))
            (v128.store (local.get $t) (f32x4.sub (local.get $ar) (local.get $br)))
            (v128.store offset=16 (local.get $t) (f32x4.sub (local.get $ai) (local.get $bi)))
            (local.set $ia (i32.add (local.get $ia) (i32.const 32)))
            (local.set $oa (i32.add (local.get $oa) (i32.const 32)))
            (local.set $q (i32.sub (local.get $q) (i32.const 1)))
            (br $qLoop)))
        (local.set $t (local.get $a))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))))
    (local.get $a))

  ;; Eight floats, one per row (row j at base + j rowStep), as lanes: rows 0, 2, 4, 6 and 1, 3, 5, 7.
  (func $evenRows (param $base i32) (param $rowStep i32) (result v128)
    (f32x4.replace_lane 3
      (f32x4.replace_lane 2
        (f32x4.replace_lane 1
          (f32x4.splat (f32.load (local.get $base)))
          (f32.load (i32.add (local.get $base) (i32.shl (local.get $rowStep) (i32.const 1)))))
        (f32.load (i32.add (local.get $base) (i32.shl (local.get $rowStep) (i32.const 2)))))
      (f32.load (i32.add (local.get $base) (i32.mul (local.get $rowStep) (i32.const 6))))))
  (func $oddRows (param $base i32) (param $rowStep i32) (result v128)
    (call $evenRows (i32.add (local.get $base) (local.get $rowStep)) (local.get $rowStep)))

  ;; Stores the lanes of v to rows 0, 2, 4, 6 (odd: 1, 3, 5, 7) at base + j rowStep.
  (func $storeRows (param $base i32) (param $rowStep i32) (param $v v128)
    (f32.store (local.get $base) (f32x4.extract_lane 0 (local.get $v)))
    (f32.store (i32.add (local.get $base) (i32.shl (local.get $rowStep) (i32.const 1))) (f32x4.extract_lane 1 (local.get $v)))
    (f32.store (i32.add (local.get $base) (i32.shl (local.get $rowStep) (i32.const 2))) (f32x4.extract_lane 2 (local.get $v)))
    (f32.store (i32.add (local.get $base) (i32.mul (local.get $rowStep) (i32.const 6))) (f32x4.extract_lane 3 (local.get $v))))

  ;; rfft of 8 rows of `inLength` samples (zero-padded or cut to n): bins 0..n/2 of each row to
  ;; outRe, outIm (row j at + j outRowStep, bin k at + k binStep), times `edge` at DC and Nyquist
  ;; and `interior` elsewhere, as real-rows.ts's rfftRows.
  (func (export "rfft8")
    (param $x i32) (param $rowStep i32) (param $sampleStep i32) (param $inLength i32) (param $n i32)
    (param $outRe i32) (param $outIm i32) (param $outRowStep i32) (param $binStep i32)
    (param $edge f32) (param $interior f32) (param $work i32) (param $twiddles i32)
    (local $t i32) (local $at i32) (local $copy i32) (local $z i32) (local $k i32) (local $half v128) (local $e v128)
    (local $pr v128) (local $pi v128) (local $qr v128) (local $qi v128) (local $reAt i32) (local $imAt i32) (local $last i32)
    (local.set $copy (select (local.get $inLength) (local.get $n) (i32.lt_u (local.get $inLength) (local.get $n))))
    ;; gather
    (local.set $t (i32.const 0))
    (local.set $at (local.get $x))
    (local.set $z (local.get $work))
    (block $loaded
      (loop $load
        (br_if $loaded (i32.ge_u (local.get $t) (local.get $copy)))
        (v128.store (local.get $z) (call $evenRows (local.get $at) (local.get $rowStep)))
        (v128.store offset=16 (local.get $z) (call $oddRows (local.get $at) (local.get $rowStep)))
        (local.set $at (i32.add (local.get $at) (local.get $sampleStep)))
        (local.set $z (i32.add (local.get $z) (i32.const 32)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $load)))
    (memory.fill (local.get $z) (i32.const 0) (i32.shl (i32.sub (local.get $n) (local.get $copy)) (i32.const 5)))
    (local.set $z (call $fft (local.get $work) (i32.add (local.get $work) (i32.shl (local.get $n) (i32.const 5))) (local.get $n) (local.get $twiddles)))
    ;; bin 0: X1 = Re Z_0, X2 = Im Z_0, imaginary parts 0
    (local.set $e (f32x4.splat (local.get $edge)))
    (call $storeRows (local.get $outRe) (local.get $outRowStep) (f32x4.mul (v128.load (local.get $z)) (local.get $e)))
    (call $storeRows (i32.add (local.get $outRe) (local.get $outRowStep)) (local.get $outRowStep) (f32x4.mul (v128.load offset=16 (local.get $z)) (local.get $e)))
    (call $storeRows (local.get $outIm) (local.get $outRowStep) (v128.const i32x4 0 0 0 0))
    (call $storeRows (i32.add (local.get $outIm) (local.get $outRowStep)) (local.get $outRowStep) (v128.const i32x4 0 0 0 0))
    ;; interior bins: X1 = (Z_k + conj Z_{n-k}) / 2, X2 = (Z_k - conj Z_{n-k}) / 2i
    (local.set $half (f32x4.splat (f32.mul (local.get $interior) (f32.const 0.5))))
    (local.set $last (i32.shr_u (i32.sub (local.get $n) (i32.const 1)) (i32.const 1)))
    (local.set $k (i32.const 1))
    (block $binsDone
      (loop $bin
        (br_if $binsDone (i32.gt_u (local.get $k) (local.get $last)))
        (local.set $at (i32.add (local.get $z) (i32.shl (local.get $k) (i32.const 5))))
        (local.set $pr (v128.load (local.get $at)))
        (local.set $pi (v128.load offset=16 (local.get $at)))
        (local.set $at (i32.add (local.get $z) (i32.shl (i32.sub (local.get $n) (local.get $k)) (i32.const 5))))
        (local.set $qr (v128.load (local.get $at)))
        (local.set $qi (v128.load offset=16 (local.get $at)))
        (local.set $reAt (i32.add (local.get $outRe) (i32.mul (local.get $k) (local.get $binStep))))
        (local.set $imAt (i32.add (local.get $outIm) (i32.mul (local.get $k) (local.get $binStep))))
        (call $storeRows (local.get $reAt) (local.get $outRowStep) (f32x4.mul (f32x4.add (local.get $pr) (local.get $qr)) (local.get $half)))
        (call $storeRows (local.get $imAt) (local.get $outRowStep) (f32x4.mul (f32x4.sub (local.get $pi) (local.get $qi)) (local.get $half)))
        (call $storeRows (i32.add (local.get $reAt) (local.get $outRowStep)) (local.get $outRowStep) (f32x4.mul (f32x4.add (local.get $pi) (local.get $qi)) (local.get $half)))
        (call $storeRows (i32.add (local.get $imAt) (local.get $outRowStep)) (local.get $outRowStep) (f32x4.mul (f32x4.sub (local.get $qr) (local.get $pr)) (local.get $half)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $bin)))
    ;; Nyquist (even n)
    (if (i32.eqz (i32.and (local.get $n) (i32.const 1)))
      (then
        (local.set $at (i32.add (local.get $z) (i32.shl (i32.shr_u (local.get $n) (i32.const 1)) (i32.const 5))))
        (local.set $reAt (i32.add (local.get $outRe) (i32.mul (i32.shr_u (local.get $n) (i32.const 1)) (local.get $binStep))))
        (local.set $imAt (i32.add (local.get $outIm) (i32.mul (i32.shr_u (local.get $n) (i32.const 1)) (local.get $binStep))))
        (call $storeRows (local.get $reAt) (local.get $outRowStep) (f32x4.mul (v128.load (local.get $at)) (local.get $e)))
        (call $storeRows (i32.add (local.get $reAt) (local.get $outRowStep)) (local.get $outRowStep) (f32x4.mul (v128.load offset=16 (local.get $at)) (local.get $e)))
        (call $storeRows (local.get $imAt) (local.get $outRowStep) (v128.const i32x4 0 0 0 0))
        (call $storeRows (i32.add (local.get $imAt) (local.get $outRowStep)) (local.get $outRowStep) (v128.const i32x4 0 0 0 0)))))

  ;; irfft of 8 rows of n/2 + 1 bins (row j at + j inRowStep, bin k at + k binStep) into rows of
  ;; outLength samples (row j at y + j outRowStep, sample t at + t sampleStep): the first
  ;; min(n, outLength) samples times `scale`, then zeros; interior bins weighted by `interior`, the
  ;; imaginary parts of DC and Nyquist ignored, as real-rows.ts's irfftRows.
  (func (export "irfft8")
    (param $re i32) (param $im i32) (param $inRowStep i32) (param $binStep i32) (param $n i32)
    (param $y i32) (param $outRowStep i32) (param $sampleStep i32) (param $outLength i32)
    (param $scale f32) (param $interior f32) (param $work i32) (param $twiddles i32)
    (local $k i32) (local $last i32) (local $reAt i32) (local $imAt i32) (local $z i32) (local $at i32) (local $t i32) (local $copy i32)
    (local $v v128) (local $a1 v128) (local $b1 v128) (local $a2 v128) (local $b2 v128) (local $s v128)
    ;; Z = X1 + i X2 over all n bins, stored swapped (imaginary lanes first): the forward FFT of
    ;; the swapped signal is the unscaled inverse, swapped back.
    (local.set $v (f32x4.splat (local.get $interior)))
    (v128.store (local.get $work) (call $oddRows (local.get $re) (local.get $inRowStep)))
    (v128.store offset=16 (local.get $work) (call $evenRows (local.get $re) (local.get $inRowStep)))
    (local.set $last (i32.shr_u (i32.sub (local.get $n) (i32.const 1)) (i32.const 1)))
    (local.set $k (i32.const 1))
    (block $binsDone
      (loop $bin
        (br_if $binsDone (i32.gt_u (local.get $k) (local.get $last)))
        (local.set $reAt (i32.add (local.get $re) (i32.mul (local.get $k) (local.get $binStep))))
        (local.set $imAt (i32.add (local.get $im) (i32.mul (local.get $k) (local.get $binStep))))
        (local.set $a1 (f32x4.mul (call $evenRows (local.get $reAt) (local.get $inRowStep)) (local.get $v)))
        (local.set $b1 (f32x4.mul (call $evenRows (local.get $imAt) (local.get $inRowStep)) (local.get $v)))
        (local.set $a2 (f32x4.mul (call $oddRows (local.get $reAt) (local.get $inRowStep)) (local.get $v)))
        (local.set $b2 (f32x4.mul (call $oddRows (local.get $imAt) (local.get $inRowStep)) (local.get $v)))
        ;; zr[k] = a1 - b2, zi[k] = b1 + a2, zr[n-k] = a1 + b2, zi[n-k] = a2 - b1
        (local.set $at (i32.add (local.get $work) (i32.shl (local.get $k) (i32.const 5))))
        (v128.store (local.get $at) (f32x4.add (local.get $b1) (local.get $a2)))
        (v128.store offset=16 (local.get $at) (f32x4.sub (local.get $a1) (local.get $b2)))
        (local.set $at (i32.add (local.get $work) (i32.shl (i32.sub (local.get $n) (local.get $k)) (i32.const 5))))
        (v128.store (local.get $at) (f32x4.sub (local.get $a2) (local.get $b1)))
        (v128.store offset=16 (local.get $at) (f32x4.add (local.get $a1) (local.get $b2)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $bin)))
    (if (i32.eqz (i32.and (local.get $n) (i32.const 1)))
      (then
        (local.set $reAt (i32.add (local.get $re) (i32.mul (i32.shr_u (local.get $n) (i32.const 1)) (local.get $binStep))))
        (local.set $at (i32.add (local.get $work) (i32.shl (i32.shr_u (local.get $n) (i32.const 1)) (i32.const 5))))
        (v128.store (local.get $at) (call $oddRows (local.get $reAt) (local.get $inRowStep)))
        (v128.store offset=16 (local.get $at) (call $evenRows (local.get $reAt) (local.get $inRowStep)))))
    (local.set $z (call $fft (local.get $work) (i32.add (local.get $work) (i32.shl (local.get $n) (i32.const 5))) (local.get $n) (local.get $twiddles)))
    ;; rows 0, 2, 4, 6 from the imaginary lanes, 1, 3, 5, 7 from the real ones
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $copy (select (local.get $outLength) (local.get $n) (i32.lt_u (local.get $outLength) (local.get $n))))
    (local.set $t (i32.const 0))
    (local.set $at (local.get $y))
    (block $stored
      (loop $store
        (br_if $stored (i32.ge_u (local.get $t) (local.get $copy)))
        (call $storeRows (local.get $at) (local.get $outRowStep) (f32x4.mul (v128.load offset=16 (local.get $z)) (local.get $s)))
        (call $storeRows (i32.add (local.get $at) (local.get $outRowStep)) (local.get $outRowStep) (f32x4.mul (v128.load (local.get $z)) (local.get $s)))
        (local.set $z (i32.add (local.get $z) (i32.const 32)))
        (local.set $at (i32.add (local.get $at) (local.get $sampleStep)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $store)))
    (block $zeroed
      (loop $zero
        (br_if $zeroed (i32.ge_u (local.get $t) (local.get $outLength)))
        (call $storeRows (local.get $at) (local.get $outRowStep) (v128.const i32x4 0 0 0 0))
        (call $storeRows (i32.add (local.get $at) (local.get $outRowStep)) (local.get $outRowStep) (v128.const i32x4 0 0 0 0))
        (local.set $at (i32.add (local.get $at) (local.get $sampleStep)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $zero))))
;; Complex DFT (or, with `inverse`, the unscaled inverse) of 4 rows in lanes: lane l of sample t
  ;; from re, im + l laneStep + t sampleStep; the result times `scale`, real parts to outRe, imaginary
  ;; to outIm (+ l outLaneStep + t outSampleStep) for the lanes set in `lanes` (bit l), imaginary
  ;; parts only where outIm is not -1. With mirror not -1, the real parts of lanes set in
  ;; `mirrorLanes` also go to mirror + l mirrorLaneStep + ((n - t) mod n) outSampleStep (FNet's
  ;; mixing: the dropped half of the spectrum from its conjugate symmetry).
  (func (export "cfft4")
    (param $re i32) (param $im i32) (param $laneStep i32) (param $sampleStep i32) (param $n i32)
    (param $inverse i32) (param $scale f32)
    (param $outRe i32) (param $outIm i32) (param $outLaneStep i32) (param $outSampleStep i32) (param $lanes i32)
    (param $mirror i32) (param $mirrorLaneStep i32) (param $mirrorLanes i32)
    (param $work i32) (param $twiddles i32)
    (local $t i32) (local $z i32) (local $at i32) (local $vr v128) (local $vi v128) (local $s v128) (local $l i32) (local $lane f32)
    (local.set $t (i32.const 0))
    (local.set $z (local.get $work))
    (block $loaded
      (loop $load
        (br_if $loaded (i32.ge_u (local.get $t) (local.get $n)))
        (local.set $at (i32.mul (local.get $t) (local.get $sampleStep)))
        (local.set $vr (call $lanes4 (i32.add (local.get $re) (local.get $at)) (local.get $laneStep)))
        (local.set $vi (call $lanes4 (i32.add (local.get $im) (local.get $at)) (local.get $laneStep)))
        ;; The inverse as the forward transform of the swapped signal, swapped back below.
        (v128.store (local.get $z) (select (result v128) (local.get $vi) (local.get $vr) (local.get $inverse)))
        (v128.store offset=16 (local.get $z) (select (result v128) (local.get $vr) (local.get $vi) (local.get $inverse)))
        (local.set $z (i32.add (local.get $z) (i32.const 32)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $load)))
    (local.set $z (call $fft (local.get $work) (i32.add (local.get $work) (i32.shl (local.get $n) (i32.const 5))) (local.get $n) (local.get $twiddles)))
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $t (i32.const 0))
    (block $stored
      (loop $store
        (br_if $stored (i32.ge_u (local.get $t) (local.get $n)))
        (local.set $vr (f32x4.mul (v128.load (local.get $z)) (local.get $s)))
        (local.set $vi (f32x4.mul (v128.load offset=16 (local.get $z)) (local.get $s)))
        (if (local.get $inverse) (then
          (local.set $vr (f32x4.mul (v128.load offset=16 (local.get $z)) (local.get $s)))
          (local.set $vi (f32x4.mul (v128.load (local.get $z)) (local.get $s)))))
        (call $storeLanes (i32.add (local.get $outRe) (i32.mul (local.get $t) (local.get $outSampleStep))) (local.get $outLaneStep) (local.get $vr) (local.get $lanes))
        (if (i32.ne (local.get $outIm) (i32.const -1)) (then
          (call $storeLanes (i32.add (local.get $outIm) (i32.mul (local.get $t) (local.get $outSampleStep))) (local.get $outLaneStep) (local.get $vi) (local.get $lanes))))
        (if (i32.ne (local.get $mirror) (i32.const -1)) (then
          (call $storeLanes
            (i32.add (local.get $mirror) (i32.mul (i32.and (i32.sub (local.get $n) (local.get $t)) (i32.sub (local.get $n) (i32.const 1))) (local.get $outSampleStep)))
            (local.get $mirrorLaneStep) (local.get $vr) (local.get $mirrorLanes))))
        (local.set $z (i32.add (local.get $z) (i32.const 32)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $store))))

  ;; Four floats at base + l step as lanes.
  (func $lanes4 (param $base i32) (param $step i32) (result v128)
    (f32x4.replace_lane 3
      (f32x4.replace_lane 2
        (f32x4.replace_lane 1
          (f32x4.splat (f32.load (local.get $base)))
          (f32.load (i32.add (local.get $base) (local.get $step))))
        (f32.load (i32.add (local.get $base) (i32.shl (local.get $step) (i32.const 1)))))
      (f32.load (i32.add (local.get $base) (i32.mul (local.get $step) (i32.const 3))))))

  ;; Lane l of v to base + l step, for the lanes set in mask (bit l).
  (func $storeLanes (param $base i32) (param $step i32) (param $v v128) (param $mask i32)
    (if (i32.and (local.get $mask) (i32.const 1)) (then (f32.store (local.get $base) (f32x4.extract_lane 0 (local.get $v)))))
    (if (i32.and (local.get $mask) (i32.const 2)) (then (f32.store (i32.add (local.get $base) (local.get $step)) (f32x4.extract_lane 1 (local.get $v)))))
    (if (i32.and (local.get $mask) (i32.const 4)) (then (f32.store (i32.add (local.get $base) (i32.shl (local.get $step) (i32.const 1))) (f32x4.extract_lane 2 (local.get $v)))))
    (if (i32.and (local.get $mask) (i32.const 8)) (then (f32.store (i32.add (local.get $base) (i32.mul (local.get $step) (i32.const 3))) (f32x4.extract_lane 3 (local.get $v))))))
)
