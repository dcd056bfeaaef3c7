;; Exact GELU, y = x Phi(x), and its gradient dx = dy (Phi(x) + x phi(x)), four float32 lanes at a
;; time over the wasm backend's heap, which this module imports. Phi comes from Abramowitz and
;; Stegun 7.1.26 (|erf error| < 1.5e-7, as tfjs's own Erf kernels), exp(-x^2/2) from 2^k times a
;; degree-7 polynomial of the remainder, all in float32 lanes. A tail of fewer than four elements
;; runs through the same lane code one element at a time, so every element is computed alike,
;; wherever a slice of the tensor starts.
;; Assembled by scripts/wasm/assemble.mjs into gelu-wasm.ts (once with a shared memory import, for
;; the threaded build, once without).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; g = exp(-v^2 / 2) = 2^t with t = -v^2 log2(e) / 2; 0 where t < -126 (2^-126 is the smallest
  ;; normal float32).
  (func $gauss (param $v v128) (result v128)
    (local $t v128) (local $k v128) (local $r v128) (local $normal v128)
    (local.set $t (f32x4.mul (f32x4.mul (local.get $v) (local.get $v)) (v128.const f32x4 -0.72134752044 -0.72134752044 -0.72134752044 -0.72134752044)))
    ;; Below 2^-126, g is 0 (as exp underflows in float32): lanes where t >= -126 keep their value.
    (local.set $normal (f32x4.ge (local.get $t) (v128.const f32x4 -126 -126 -126 -126)))
    ;; pmax, not max: wasm's max (NaN-propagating, -0 below +0) costs V8 about eight x64
    ;; instructions, pmax one; t < -126 ? -126 : t keeps a NaN t all the same (2.79 -> 2.23 ns an element).
    (local.set $t (f32x4.pmax (local.get $t) (v128.const f32x4 -126 -126 -126 -126)))
    (local.set $k (f32x4.nearest (local.get $t)))
    ;; r = (t - k) ln 2, |r| <= ln(2) / 2: e^r to (ln2/2)^8/8! = 5e-9 by its Taylor polynomial.
    (local.set $r (f32x4.mul (f32x4.sub (local.get $t) (local.get $k)) (v128.const f32x4 0.69314718056 0.69314718056 0.69314718056 0.69314718056)))
    (v128.and (local.get $normal) (f32x4.mul
      ;; 2^k as float bits: (k + 127) << 23.
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (v128.const i32x4 127 127 127 127)) (i32.const 23))
      (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $r)
      (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $r)
      (f32x4.add (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.mul (local.get $r)
      (f32x4.add (v128.const f32x4 0.16666667 0.16666667 0.16666667 0.16666667) (f32x4.mul (local.get $r)
      (f32x4.add (v128.const f32x4 0.041666668 0.041666668 0.041666668 0.041666668) (f32x4.mul (local.get $r)
      (f32x4.add (v128.const f32x4 0.0083333333 0.0083333333 0.0083333333 0.0083333333) (f32x4.mul (local.get $r)
      (f32x4.add (v128.const f32x4 0.0013888889 0.0013888889 0.0013888889 0.0013888889) (f32x4.mul (local.get $r)
      (v128.const f32x4 0.00019841270 0.00019841270 0.00019841270 0.00019841270))))))))))))))))))

  ;; Phi(v) given g = exp(-v^2 / 2): with s = 1 / (1 + p |v| / sqrt 2) and
  ;; tail = (a1 s + a2 s^2 + ... + a5 s^5) g = 1 - erf(|v| / sqrt 2), Phi = tail / 2 below 0, 1 - tail / 2 above.
  (func $phi (param $v v128) (param $g v128) (result v128)
    (local $s v128) (local $half v128)
    (local.set $s
      (f32x4.div (v128.const f32x4 1 1 1 1)
        (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (f32x4.abs (local.get $v)) (v128.const f32x4 0.23164188827 0.23164188827 0.23164188827 0.23164188827)))))
    (local.set $half
      (f32x4.mul (local.get $g) (f32x4.mul (local.get $s)
        (f32x4.add (v128.const f32x4 0.127414796 0.127414796 0.127414796 0.127414796) (f32x4.mul (local.get $s)
        (f32x4.add (v128.const f32x4 -0.142248368 -0.142248368 -0.142248368 -0.142248368) (f32x4.mul (local.get $s)
        (f32x4.add (v128.const f32x4 0.7107068705 0.7107068705 0.7107068705 0.7107068705) (f32x4.mul (local.get $s)
        (f32x4.add (v128.const f32x4 -0.7265760135 -0.7265760135 -0.7265760135 -0.7265760135) (f32x4.mul (local.get $s)
        (v128.const f32x4 0.5307027145 0.5307027145 0.5307027145 0.5307027145))))))))))))
    (v128.bitselect
      (local.get $half)
      (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $half))
      (f32x4.lt (local.get $v) (v128.const f32x4 0 0 0 0))))

  (func $gelu_lanes (param $v v128) (result v128)
    (f32x4.mul (local.get $v) (call $phi (local.get $v) (call $gauss (local.get $v)))))

  ;; dy (Phi(v) + v g / sqrt(2 pi)).
  (func $gelu_grad_lanes (param $dy v128) (param $v v128) (result v128)
    (local $g v128)
    (local.set $g (call $gauss (local.get $v)))
    (f32x4.mul (local.get $dy)
      (f32x4.add (call $phi (local.get $v) (local.get $g))
        (f32x4.mul (f32x4.mul (local.get $v) (local.get $g)) (v128.const f32x4 0.39894228040 0.39894228040 0.39894228040 0.39894228040)))))

  ;; y[i] = gelu(x[i]) for i < n; x and y are byte offsets into the heap.
  (func (export "gelu") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store align=4 (local.get $y) (call $gelu_lanes (v128.load align=4 (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $next)))
    (local.set $n (i32.and (local.get $n) (i32.const 3)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.eqz (local.get $n)))
        (f32.store (local.get $y) (f32x4.extract_lane 0 (call $gelu_lanes (f32x4.splat (f32.load (local.get $x))))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $tail))))

  ;; dx[i] = dy[i] gelu'(x[i]) for i < n; byte offsets into the heap.
  (func (export "geluGrad") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store align=4 (local.get $dx)
          (call $gelu_grad_lanes (v128.load align=4 (local.get $dy)) (v128.load align=4 (local.get $x))))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (br $next)))
    (local.set $n (i32.and (local.get $n) (i32.const 3)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.eqz (local.get $n)))
        (f32.store (local.get $dx)
          (f32x4.extract_lane 0 (call $gelu_grad_lanes (f32x4.splat (f32.load (local.get $dy))) (f32x4.splat (f32.load (local.get $x))))))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $tail))))
)
