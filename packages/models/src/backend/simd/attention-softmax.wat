;; The row softmax of the fused attention kernel (../fused/attention-rows.ts), in place over a
;; block of scores [rows, n] (n a multiple of 4) that stays in cache: the key bias (the padding
;; mask, one row of n shared by the block) added, the row's maximum, exp(x - max) and its sum,
;; then the scale by 1 / sum. The row's max and 1 / sum are kept, so that the backward pass
;; recomputes the same weights, bit for bit, from the same scores (softmaxRecompute).
;; exp(x) = 2^k e^r with k = round(x log2 e), found by adding 1.5 2^23 + 127 (whose low mantissa
;; bits then hold k + 127: 2^k's exponent field, shifted into place), r = x - k ln 2 in two parts
;; (Cody and Waite) and e^r from a degree-5 polynomial (relative error under 1e-7 on |r| <=
;; ln(2) / 2); 0 below x = -87.33, where 2^k would leave float32's normal range. The constants are
;; immutable globals: V8 rebuilds a v128.const at every use, and reads a global once.
;; Assembled by scripts/wasm/assemble.mjs into attention-softmax-wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

;; e^x in four float32 lanes, for x <= 0 (the softmax's x - max).
  (global $log2e v128 (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))
  (global $magic v128 (v128.const f32x4 12583039 12583039 12583039 12583039))
  ;; ln 2 = 0.693145751953125 (exact in 12 bits: k times it is exact) + 1.42860677e-6.
  (global $ln2Hi v128 (v128.const f32x4 0.693145751953125 0.693145751953125 0.693145751953125 0.693145751953125))
  (global $ln2Lo v128 (v128.const f32x4 1.42860677e-6 1.42860677e-6 1.42860677e-6 1.42860677e-6))
  (global $cutoff v128 (v128.const f32x4 -87.336544 -87.336544 -87.336544 -87.336544))
  (global $c1 v128 (v128.const f32x4 0.99999970 0.99999970 0.99999970 0.99999970))
  (global $c2 v128 (v128.const f32x4 0.49999151 0.49999151 0.49999151 0.49999151))
  (global $c3 v128 (v128.const f32x4 0.16667652 0.16667652 0.16667652 0.16667652))
  (global $c4 v128 (v128.const f32x4 0.041897822 0.041897822 0.041897822 0.041897822))
  (global $c5 v128 (v128.const f32x4 0.0082892906 0.0082892906 0.0082892906 0.0082892906))
  (func $exp (param $x v128) (result v128)
    (local $n v128) (local $k v128) (local $r v128)
    (local.set $n (f32x4.add (f32x4.mul (local.get $x) (global.get $log2e)) (global.get $magic)))
    (local.set $k (f32x4.sub (local.get $n) (global.get $magic)))
    (local.set $r (f32x4.sub
      (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (global.get $ln2Hi)))
      (f32x4.mul (local.get $k) (global.get $ln2Lo))))
    (v128.andnot (f32x4.mul
      ;; 2^k: the low bits of n, k + 127, moved into the exponent field.
      (i32x4.shl (local.get $n) (i32.const 23))
      (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $r)
      (f32x4.add (global.get $c1) (f32x4.mul (local.get $r)
      (f32x4.add (global.get $c2) (f32x4.mul (local.get $r)
      (f32x4.add (global.get $c3) (f32x4.mul (local.get $r)
      (f32x4.add (global.get $c4) (f32x4.mul (local.get $r)
      (global.get $c5))))))))))))
      (f32x4.lt (local.get $x) (global.get $cutoff))))

  ;; Four float32 lanes summed in a fixed order.
  (func $lanes (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; The score at byte j of the row, plus the key bias where there is one.
  (func $score (param $s i32) (param $bias i32) (param $biased i32) (param $j i32) (result v128)
    (if (result v128) (local.get $biased)
      (then (f32x4.add (v128.load align=4 (i32.add (local.get $s) (local.get $j))) (v128.load align=4 (i32.add (local.get $bias) (local.get $j)))))
      (else (v128.load align=4 (i32.add (local.get $s) (local.get $j))))))

  ;; Rows [0, rows) of s (byte offset; n floats each) become softmax(s + bias) in place; stats gets
  ;; each row's max and 1 / sum (two floats a row). biased 0: no bias (its offset is not read).
  (func (export "softmaxRows") (param $s i32) (param $bias i32) (param $stats i32) (param $rows i32) (param $n i32) (param $biased i32)
    (local $rowBytes i32) (local $j i32) (local $max v128) (local $acc v128) (local $e v128) (local $m f32) (local $inv v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $max (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $j (i32.const 0))
        (block $maxDone (loop $maxLoop
          (br_if $maxDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
          (local.set $max (f32x4.pmax (local.get $max) (call $score (local.get $s) (local.get $bias) (local.get $biased) (local.get $j))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $maxLoop)))
        (local.set $m (f32.max
          (f32.max (f32x4.extract_lane 0 (local.get $max)) (f32x4.extract_lane 1 (local.get $max)))
          (f32.max (f32x4.extract_lane 2 (local.get $max)) (f32x4.extract_lane 3 (local.get $max)))))
        (local.set $max (f32x4.splat (local.get $m)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $expDone (loop $expLoop
          (br_if $expDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
          (local.set $e (call $exp (f32x4.sub (call $score (local.get $s) (local.get $bias) (local.get $biased) (local.get $j)) (local.get $max))))
          (v128.store align=4 (i32.add (local.get $s) (local.get $j)) (local.get $e))
          (local.set $acc (f32x4.add (local.get $acc) (local.get $e)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $expLoop)))
        (local.set $inv (f32x4.splat (f32.div (f32.const 1) (call $lanes (local.get $acc)))))
        (local.set $j (i32.const 0))
        (block $scaleDone (loop $scaleLoop
          (br_if $scaleDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
          (v128.store align=4 (i32.add (local.get $s) (local.get $j))
            (f32x4.mul (v128.load align=4 (i32.add (local.get $s) (local.get $j))) (local.get $inv)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $scaleLoop)))
        (f32.store (local.get $stats) (local.get $m))
        (f32.store offset=4 (local.get $stats) (f32x4.extract_lane 0 (local.get $inv)))
        (local.set $s (i32.add (local.get $s) (local.get $rowBytes)))
        (local.set $stats (i32.add (local.get $stats) (i32.const 8)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; The weights softmaxRows gave, recomputed in place from the same scores and its stats: the
  ;; same operations on the same values, so the same bits.
  (func (export "softmaxRecompute") (param $s i32) (param $bias i32) (param $stats i32) (param $rows i32) (param $n i32) (param $biased i32)
    (local $rowBytes i32) (local $j i32) (local $max v128) (local $inv v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $max (v128.load32_splat (local.get $stats)))
        (local.set $inv (v128.load32_splat offset=4 (local.get $stats)))
        (local.set $j (i32.const 0))
        (block $rowDone (loop $rowLoop
          (br_if $rowDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
          (v128.store align=4 (i32.add (local.get $s) (local.get $j))
            (f32x4.mul (call $exp (f32x4.sub (call $score (local.get $s) (local.get $bias) (local.get $biased) (local.get $j)) (local.get $max))) (local.get $inv)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $rowLoop)))
        (local.set $s (i32.add (local.get $s) (local.get $rowBytes)))
        (local.set $stats (i32.add (local.get $stats) (i32.const 8)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))
)
