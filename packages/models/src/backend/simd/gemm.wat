;; The project's float32 matrix products on the wasm heap, in tiles of 4 rows x 8 columns of C
;; held in eight accumulators, K walked in blocks of 256 (the operands' blocks stay in cache
;; across the tiles). XNNPACK (the backend's product) packs its second operand anew on one thread
;; for every call and splits only inside each product; these take no packing, and threads split
;; whole rows, columns or matrices of a batch. Each element of C is summed over k in order by one
;; call, so any thread count gives the same bits. Assembled by scripts/wasm/assemble.mjs into
;; gemm-wasm.ts.
;; With accumulate 1 they add the product to C (C += A^T B, C += A B) instead of writing it:
;; attention's fused gradient sums the keys' and values' gradients over blocks of queries.
;;   gemmTN: C = A^T B, A [K, M], B [K, N] (weight gradients over the tokens of a batch;
;;           attention's gradients of keys and values). M a multiple of 4, N of 8.
;;   gemmNN: C = A B, A [M, K], B [K, N] (dense layers; attention's scores and weighted values,
;;           one head at a time). M a multiple of 4, N of 8.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Columns [first, last) (multiples of 8) of C [M, N] at c; a, b, c byte offsets.
  (func (export "gemmTN")
    (param $a i32) (param $b i32) (param $c i32) (param $k i32) (param $m i32) (param $n i32) (param $first i32) (param $last i32) (param $accumulate i32)
    (local $k0 i32) (local $k1 i32) (local $kk i32) (local $i i32) (local $j i32)
    (local $aRow i32) (local $bRow i32) (local $cAt i32) (local $at i32) (local $bt i32)
    (local $v v128) (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $aRow (i32.shl (local.get $m) (i32.const 2)))
    (local.set $bRow (i32.shl (local.get $n) (i32.const 2)))
    (local.set $k0 (i32.const 0))
    (block $kDone
      (loop $kBlocks
        (br_if $kDone (i32.ge_u (local.get $k0) (local.get $k)))
        (local.set $k1 (select (i32.add (local.get $k0) (i32.const 256)) (local.get $k)
          (i32.lt_u (i32.add (local.get $k0) (i32.const 256)) (local.get $k))))
        (local.set $j (local.get $first))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $last)))
            (local.set $i (i32.const 0))
            (block $iDone
              (loop $iLoop
                (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
                (local.set $cAt (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
                (if (i32.and (i32.eqz (local.get $k0)) (i32.eqz (local.get $accumulate)))
                  (then
                    (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
                    (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
                    (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
                    (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0)))
                  (else
                    (local.set $at (local.get $cAt))
                    (local.set $c00 (v128.load align=4 (local.get $at))) (local.set $c01 (v128.load offset=16 align=4 (local.get $at)))
                    (local.set $at (i32.add (local.get $at) (local.get $bRow)))
                    (local.set $c10 (v128.load align=4 (local.get $at))) (local.set $c11 (v128.load offset=16 align=4 (local.get $at)))
                    (local.set $at (i32.add (local.get $at) (local.get $bRow)))
                    (local.set $c20 (v128.load align=4 (local.get $at))) (local.set $c21 (v128.load offset=16 align=4 (local.get $at)))
                    (local.set $at (i32.add (local.get $at) (local.get $bRow)))
                    (local.set $c30 (v128.load align=4 (local.get $at))) (local.set $c31 (v128.load offset=16 align=4 (local.get $at)))))
                ;; A[k, i..i+3] and B[k, j..j+7] for k in the block
                (local.set $at (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $m)) (local.get $i)) (i32.const 2))))
                (local.set $bt (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $n)) (local.get $j)) (i32.const 2))))
                (local.set $kk (i32.sub (local.get $k1) (local.get $k0)))
                (block $kkDone
                  (loop $kkLoop
                    (br_if $kkDone (i32.eqz (local.get $kk)))
                    (local.set $v (v128.load align=4 (local.get $at)))
                    (local.set $b0 (v128.load align=4 (local.get $bt)))
                    (local.set $b1 (v128.load offset=16 align=4 (local.get $bt)))
                    (local.set $s (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $v) (local.get $v)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $v) (local.get $v)))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $v) (local.get $v)))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $v) (local.get $v)))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $at (i32.add (local.get $at) (local.get $aRow)))
                    (local.set $bt (i32.add (local.get $bt) (local.get $bRow)))
                    (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                    (br $kkLoop)))
                (local.set $at (local.get $cAt))
                (v128.store align=4 (local.get $at) (local.get $c00)) (v128.store offset=16 align=4 (local.get $at) (local.get $c01))
                (local.set $at (i32.add (local.get $at) (local.get $bRow)))
                (v128.store align=4 (local.get $at) (local.get $c10)) (v128.store offset=16 align=4 (local.get $at) (local.get $c11))
                (local.set $at (i32.add (local.get $at) (local.get $bRow)))
                (v128.store align=4 (local.get $at) (local.get $c20)) (v128.store offset=16 align=4 (local.get $at) (local.get $c21))
                (local.set $at (i32.add (local.get $at) (local.get $bRow)))
                (v128.store align=4 (local.get $at) (local.get $c30)) (v128.store offset=16 align=4 (local.get $at) (local.get $c31))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $iLoop)))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $jLoop)))
        (local.set $k0 (local.get $k1))
        (br $kBlocks))))

  ;; Rows [first, last) (multiples of 4) of C [M, N] at c; a, b, c byte offsets.
  (func (export "gemmNN")
    (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32) (param $first i32) (param $last i32) (param $accumulate i32)
    (local $k0 i32) (local $k1 i32) (local $kk i32) (local $i i32) (local $j i32)
    (local $aRow i32) (local $bRow i32) (local $cAt i32) (local $at i32) (local $bt i32)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $aRow (i32.shl (local.get $k) (i32.const 2)))
    (local.set $bRow (i32.shl (local.get $n) (i32.const 2)))
    (local.set $k0 (i32.const 0))
    (block $kDone
      (loop $kBlocks
        (br_if $kDone (i32.ge_u (local.get $k0) (local.get $k)))
        (local.set $k1 (select (i32.add (local.get $k0) (i32.const 256)) (local.get $k)
          (i32.lt_u (i32.add (local.get $k0) (i32.const 256)) (local.get $k))))
        (local.set $i (local.get $first))
        (block $iDone
          (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $last)))
            (local.set $j (i32.const 0))
            (block $jDone
              (loop $jLoop
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $cAt (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
                (if (i32.and (i32.eqz (local.get $k0)) (i32.eqz (local.get $accumulate)))
                  (then
                    (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
                    (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
                    (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
                    (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0)))
                  (else
                    (local.set $at (local.get $cAt))
                    (local.set $c00 (v128.load align=4 (local.get $at))) (local.set $c01 (v128.load offset=16 align=4 (local.get $at)))
                    (local.set $at (i32.add (local.get $at) (local.get $bRow)))
                    (local.set $c10 (v128.load align=4 (local.get $at))) (local.set $c11 (v128.load offset=16 align=4 (local.get $at)))
                    (local.set $at (i32.add (local.get $at) (local.get $bRow)))
                    (local.set $c20 (v128.load align=4 (local.get $at))) (local.set $c21 (v128.load offset=16 align=4 (local.get $at)))
                    (local.set $at (i32.add (local.get $at) (local.get $bRow)))
                    (local.set $c30 (v128.load align=4 (local.get $at))) (local.set $c31 (v128.load offset=16 align=4 (local.get $at)))))
                ;; A[i..i+3, k] (four rows apart) and B[k, j..j+7] for k in the block
                (local.set $at (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $k0)) (i32.const 2))))
                (local.set $bt (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $n)) (local.get $j)) (i32.const 2))))
                (local.set $kk (i32.sub (local.get $k1) (local.get $k0)))
                (block $kkDone
                  (loop $kkLoop
                    (br_if $kkDone (i32.eqz (local.get $kk)))
                    (local.set $b0 (v128.load align=4 (local.get $bt)))
                    (local.set $b1 (v128.load offset=16 align=4 (local.get $bt)))
                    (local.set $s (v128.load32_splat (local.get $at)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat (i32.add (local.get $at) (local.get $aRow))))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat (i32.add (local.get $at) (i32.shl (local.get $aRow) (i32.const 1)))))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat (i32.add (local.get $at) (i32.mul (local.get $aRow) (i32.const 3)))))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $at (i32.add (local.get $at) (i32.const 4)))
                    (local.set $bt (i32.add (local.get $bt) (local.get $bRow)))
                    (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                    (br $kkLoop)))
                (local.set $at (local.get $cAt))
                (v128.store align=4 (local.get $at) (local.get $c00)) (v128.store offset=16 align=4 (local.get $at) (local.get $c01))
                (local.set $at (i32.add (local.get $at) (local.get $bRow)))
                (v128.store align=4 (local.get $at) (local.get $c10)) (v128.store offset=16 align=4 (local.get $at) (local.get $c11))
                (local.set $at (i32.add (local.get $at) (local.get $bRow)))
                (v128.store align=4 (local.get $at) (local.get $c20)) (v128.store offset=16 align=4 (local.get $at) (local.get $c21))
                (local.set $at (i32.add (local.get $at) (local.get $bRow)))
                (v128.store align=4 (local.get $at) (local.get $c30)) (v128.store offset=16 align=4 (local.get $at) (local.get $c31))
                (local.set $j (i32.add (local.get $j) (i32.const 8)))
                (br $jLoop)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $iLoop)))
        (local.set $k0 (local.get $k1))
        (br $kBlocks))))
)
