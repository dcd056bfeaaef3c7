;; The seeded dropout mask (../fused/seeded-dropout-mask.ts) four pairs of elements at a time: the
;; pair's 32-bit hash in i32 lanes, its low half deciding the pair's first element and its high
;; half the second, kept elements times the float32 scale. The same bits as the JavaScript loop:
;; the hash is integer arithmetic, and a float32 product rounds alike in both.
;; Assembled by scripts/wasm/assemble.mjs into seeded-dropout-wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

;; dropoutPair applies one mask to two arrays (attention's fused gradient drops the weights and
;; their gradient alike): the hash, most of the work, is taken once.
  ;; lowbias32 of (counter * multiplier) xor key, for four pairs.
  (func $hash (param $counters v128) (param $multipliers v128) (param $keys v128) (result v128)
    (local $h v128)
    (local.set $h (v128.xor (i32x4.mul (local.get $counters) (local.get $multipliers)) (local.get $keys)))
    (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 16))))
    (local.set $h (i32x4.mul (local.get $h) (v128.const i32x4 0x7feb352d 0x7feb352d 0x7feb352d 0x7feb352d)))
    (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 15))))
    (local.set $h (i32x4.mul (local.get $h) (v128.const i32x4 0x846ca68b 0x846ca68b 0x846ca68b 0x846ca68b)))
    (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 16))))

  ;; Lanes kept by each pair's low half (its first element); both halves are below 2^16: signed
  ;; comparisons suffice.
  (func $lowKept (param $h v128) (param $thresholds v128) (result v128)
    (i32x4.ge_s (v128.and (local.get $h) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff)) (local.get $thresholds)))

  (func $highKept (param $h v128) (param $thresholds v128) (result v128)
    (i32x4.ge_s (i32x4.shr_u (local.get $h) (i32.const 16)) (local.get $thresholds)))

  ;; For g < groups: the 8 elements at x + 32 g (pairs low + 4 g ... low + 4 g + 3) into out.
  ;; key: the seed's key xor the mix of the pairs' high part; threshold: drop below it (16 bits).
  (func (export "dropout")
    (param $x i32) (param $out i32) (param $groups i32) (param $low i32)
    (param $multiplier i32) (param $key i32) (param $threshold i32) (param $scale f32)
    (call $dropoutPair (local.get $x) (local.get $out) (i32.const -1) (i32.const -1) (local.get $groups) (local.get $low)
      (local.get $multiplier) (local.get $key) (local.get $threshold) (local.get $scale)))

  ;; The same, and the same mask on y into outY.
  (func (export "dropoutPair")
    (param $x i32) (param $out i32) (param $y i32) (param $outY i32) (param $groups i32) (param $low i32)
    (param $multiplier i32) (param $key i32) (param $threshold i32) (param $scale f32)
    (call $dropoutPair (local.get $x) (local.get $out) (local.get $y) (local.get $outY) (local.get $groups) (local.get $low)
      (local.get $multiplier) (local.get $key) (local.get $threshold) (local.get $scale)))

  ;; y -1: x only.
  (func $dropoutPair
    (param $x i32) (param $out i32) (param $y i32) (param $outY i32) (param $groups i32) (param $low i32)
    (param $multiplier i32) (param $key i32) (param $threshold i32) (param $scale f32)
    (local $counters v128) (local $h v128) (local $keepLow v128) (local $keepHigh v128) (local $first v128) (local $second v128)
    (local $scales v128) (local $thresholds v128) (local $keys v128) (local $multipliers v128)
    (local.set $counters (i32x4.add (i32x4.splat (local.get $low)) (v128.const i32x4 0 1 2 3)))
    (local.set $scales (f32x4.splat (local.get $scale)))
    (local.set $thresholds (i32x4.splat (local.get $threshold)))
    (local.set $keys (i32x4.splat (local.get $key)))
    (local.set $multipliers (i32x4.splat (local.get $multiplier)))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $groups)))
        (local.set $h (call $hash (local.get $counters) (local.get $multipliers) (local.get $keys)))
        (local.set $keepLow (call $lowKept (local.get $h) (local.get $thresholds)))
        (local.set $keepHigh (call $highKept (local.get $h) (local.get $thresholds)))
        ;; Elements 2p and 2p + 1: pair 0's low and high halves, then pair 1's, ...
        (local.set $first (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $keepLow) (local.get $keepHigh)))
        (local.set $second (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $keepLow) (local.get $keepHigh)))
        (v128.store align=4 (local.get $out)
          (v128.and (f32x4.mul (v128.load align=4 (local.get $x)) (local.get $scales)) (local.get $first)))
        (v128.store offset=16 align=4 (local.get $out)
          (v128.and (f32x4.mul (v128.load offset=16 align=4 (local.get $x)) (local.get $scales)) (local.get $second)))
        (if (i32.ge_s (local.get $y) (i32.const 0))
          (then
            (v128.store align=4 (local.get $outY)
              (v128.and (f32x4.mul (v128.load align=4 (local.get $y)) (local.get $scales)) (local.get $first)))
            (v128.store offset=16 align=4 (local.get $outY)
              (v128.and (f32x4.mul (v128.load offset=16 align=4 (local.get $y)) (local.get $scales)) (local.get $second)))
            (local.set $y (i32.add (local.get $y) (i32.const 32)))
            (local.set $outY (i32.add (local.get $outY) (i32.const 32)))))
        (local.set $counters (i32x4.add (local.get $counters) (v128.const i32x4 4 4 4 4)))
        (local.set $x (i32.add (local.get $x) (i32.const 32)))
        (local.set $out (i32.add (local.get $out) (i32.const 32)))
        (local.set $groups (i32.sub (local.get $groups) (i32.const 1)))
        (br $next))))
)
