;; Element-wise Add, Sub, Multiply and RealDiv of float32 tensors where one operand has the
;; output's shape and the other is broadcast over it (../wasm/binary.ts): a bias over rows, a
;; mask over channels, a per-row scale, or a second tensor of the same shape. Four lanes at a
;; time; IEEE single precision rounds each lane as a scalar operation would, so any slicing of
;; the work gives the bits of the backend's own kernels. Assembled by scripts/wasm/assemble.mjs
;; into binary-wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; The operation `op` on x (the full operand) and y (the broadcast one):
  ;; 0 x + y, 1 x - y, 2 y - x, 3 x y, 4 x / y, 5 y / x.
  (func $lanes (param $op i32) (param $x v128) (param $y v128) (result v128)
    (if (result v128) (i32.eq (local.get $op) (i32.const 0))
      (then (f32x4.add (local.get $x) (local.get $y)))
      (else (if (result v128) (i32.eq (local.get $op) (i32.const 3))
        (then (f32x4.mul (local.get $x) (local.get $y)))
        (else (if (result v128) (i32.eq (local.get $op) (i32.const 1))
          (then (f32x4.sub (local.get $x) (local.get $y)))
          (else (if (result v128) (i32.eq (local.get $op) (i32.const 2))
            (then (f32x4.sub (local.get $y) (local.get $x)))
            (else (if (result v128) (i32.eq (local.get $op) (i32.const 4))
              (then (f32x4.div (local.get $x) (local.get $y)))
              (else (f32x4.div (local.get $y) (local.get $x)))))))))))))

  ;; One lane of $lanes, for the tail of a row.
  (func $scalar (param $op i32) (param $x f32) (param $y f32) (result f32)
    (if (result f32) (i32.eq (local.get $op) (i32.const 0))
      (then (f32.add (local.get $x) (local.get $y)))
      (else (if (result f32) (i32.eq (local.get $op) (i32.const 3))
        (then (f32.mul (local.get $x) (local.get $y)))
        (else (if (result f32) (i32.eq (local.get $op) (i32.const 1))
          (then (f32.sub (local.get $x) (local.get $y)))
          (else (if (result f32) (i32.eq (local.get $op) (i32.const 2))
            (then (f32.sub (local.get $y) (local.get $x)))
            (else (if (result f32) (i32.eq (local.get $op) (i32.const 4))
              (then (f32.div (local.get $x) (local.get $y)))
              (else (f32.div (local.get $y) (local.get $x)))))))))))))

  ;; Columns c .. c + 3 of one row (see $rows).
  (func $vector (param $op i32) (param $splat i32) (param $x i32) (param $out i32) (param $rowAt i32) (param $yAt i32) (param $yLanes v128) (param $c i32)
    (local $at i32)
    (local.set $at (i32.add (local.get $rowAt) (i32.shl (local.get $c) (i32.const 2))))
    (v128.store align=4 (i32.add (local.get $out) (local.get $at))
      (call $lanes (local.get $op)
        (v128.load align=4 (i32.add (local.get $x) (local.get $at)))
        (if (result v128) (local.get $splat)
          (then (local.get $yLanes))
          (else (v128.load align=4 (i32.add (local.get $yAt) (i32.shl (local.get $c) (i32.const 2)))))))))

  ;; out and x are [rows, width] (byte offsets); rows [first, last), columns [c0, c1) of each.
  ;; Row i = p q + s (p = i / q, s = i mod q) takes its y from y + 4 (p strideP + s strideQ):
  ;; element c of it, or with splat = 1 its first element for every column. Called with constant
  ;; op and splat (see "binary"), so that the compiled loop of each pair has no branch on them.
  (func $rows
    (param $op i32) (param $splat i32) (param $x i32) (param $y i32) (param $out i32)
    (param $q i32) (param $width i32) (param $strideP i32) (param $strideQ i32)
    (param $first i32) (param $last i32) (param $c0 i32) (param $c1 i32)
    (local $i i32) (local $rowAt i32) (local $yAt i32) (local $c i32) (local $yLanes v128)
    (local.set $i (local.get $first))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $last)))
        (local.set $rowAt (i32.shl (i32.mul (local.get $i) (local.get $width)) (i32.const 2)))
        (local.set $yAt (i32.add (local.get $y) (i32.shl
          (i32.add
            (i32.mul (i32.div_u (local.get $i) (local.get $q)) (local.get $strideP))
            (i32.mul (i32.rem_u (local.get $i) (local.get $q)) (local.get $strideQ)))
          (i32.const 2))))
        (local.set $yLanes (v128.load32_splat align=4 (local.get $yAt)))
        (local.set $c (local.get $c0))
        ;; Sixteen columns a pass where there are as many, then four.
        (block $blocksDone
          (loop $blocks
            (br_if $blocksDone (i32.gt_u (i32.add (local.get $c) (i32.const 16)) (local.get $c1)))
            (call $vector (local.get $op) (local.get $splat) (local.get $x) (local.get $out) (local.get $rowAt) (local.get $yAt) (local.get $yLanes) (local.get $c))
            (call $vector (local.get $op) (local.get $splat) (local.get $x) (local.get $out) (local.get $rowAt) (local.get $yAt) (local.get $yLanes) (i32.add (local.get $c) (i32.const 4)))
            (call $vector (local.get $op) (local.get $splat) (local.get $x) (local.get $out) (local.get $rowAt) (local.get $yAt) (local.get $yLanes) (i32.add (local.get $c) (i32.const 8)))
            (call $vector (local.get $op) (local.get $splat) (local.get $x) (local.get $out) (local.get $rowAt) (local.get $yAt) (local.get $yLanes) (i32.add (local.get $c) (i32.const 12)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $blocks)))
        (block $lanesDone
          (loop $columns
            (br_if $lanesDone (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $c1)))
            (call $vector (local.get $op) (local.get $splat) (local.get $x) (local.get $out) (local.get $rowAt) (local.get $yAt) (local.get $yLanes) (local.get $c))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $columns)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $c) (local.get $c1)))
            (f32.store align=4 (i32.add (local.get $out) (i32.add (local.get $rowAt) (i32.shl (local.get $c) (i32.const 2))))
              (call $scalar (local.get $op)
                (f32.load align=4 (i32.add (local.get $x) (i32.add (local.get $rowAt) (i32.shl (local.get $c) (i32.const 2)))))
                (if (result f32) (local.get $splat)
                  (then (f32.load align=4 (local.get $yAt)))
                  (else (f32.load align=4 (i32.add (local.get $yAt) (i32.shl (local.get $c) (i32.const 2))))))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $tail)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; $rows with op and splat as constants: one compiled loop per pair.
  (func (export "binary")
    (param $op i32) (param $x i32) (param $y i32) (param $out i32)
    (param $q i32) (param $width i32) (param $strideP i32) (param $strideQ i32) (param $splat i32)
    (param $first i32) (param $last i32) (param $c0 i32) (param $c1 i32)
    (if (i32.and (i32.eq (local.get $op) (i32.const 0)) (i32.eq (local.get $splat) (i32.const 0)))
      (then (call $rows (i32.const 0) (i32.const 0) (local.get $x) (local.get $y) (local.get $out) (local.get $q) (local.get $width)
        (local.get $strideP) (local.get $strideQ) (local.get $first) (local.get $last) (local.get $c0) (local.get $c1))))
    (if (i32.and (i32.eq (local.get $op) (i32.const 0)) (i32.eq (local.get $splat) (i32.const 1)))
      (then (call $rows (i32.const 0) (i32.const 1) (local.get $x) (local.get $y) (local.get $out) (local.get $q) (local.get $width)
        (local.get $strideP) (local.get $strideQ) (local.get $first) (local.get $last) (local.get $c0) (local.get $c1))))
    (if (i32.and (i32.eq (local.get $op) (i32.const 1)) (i32.eq (local.get $splat) (i32.const 0)))
      (then (call $rows (i32.const 1) (i32.const 0) (local.get $x) (local.get $y) (local.get $out) (local.get $q) (local.get $width)
        (local.get $strideP) (local.get $strideQ) (local.get $first) (local.get $last) (local.get $c0) (local.get $c1))))
    (if (i32.and (i32.eq (local.get $op) (i32.const 1)) (i32.eq (local.get $splat) (i32.const 1)))
      (then (call $rows (i32.const 1) (i32.const 1) (local.get $x) (local.get $y) (local.get $out) (local.get $q) (local.get $width)
        (local.get $strideP) (local.get $strideQ) (local.get $first) (local.get $last) (local.get $c0) (local.get $c1))))
    (if (i32.and (i32.eq (local.get $op) (i32.const 2)) (i32.eq (local.get $splat) (i32.const 0)))
      (then (call $rows (i32.const 2) (i32.const 0) (local.get $x) (local.get $y) (local.get $out) (local.get $q) (local.get $width)
        (local.get $strideP) (local.get $strideQ) (local.get $first) (local.get $last) (local.get $c0) (local.get $c1))))
    (if (i32.and (i32.eq (local.get $op) (i32.const 2)) (i32.eq (local.get $splat) (i32.const 1)))
      (then (call $rows (i32.const 2) (i32.const 1) (local.get $x) (local.get $y) (local.get $out) (local.get $q) (local.get $width)
        (local.get $strideP) (local.get $strideQ) (local.get $first) (local.get $last) (local.get $c0) (local.get $c1))))
    (if (i32.and (i32.eq (local.get $op) (i32.const 3)) (i32.eq (local.get $splat) (i32.const 0)))
      (then (call $rows (i32.const 3) (i32.const 0) (local.get $x) (local.get $y) (local.get $out) (local.get $q) (local.get $width)
        (local.get $strideP) (local.get $strideQ) (local.get $first) (local.get $last) (local.get $c0) (local.get $c1))))
    (if (i32.and (i32.eq (local.get $op) (i32.const 3)) (i32.eq (local.get $splat) (i32.const 1)))
      (then (call $rows (i32.const 3) (i32.const 1) (local.get $x) (local.get $y) (local.get $out) (local.get $q) (local.get $width)
        (local.get $strideP) (local.get $strideQ) (local.get $first) (local.get $last) (local.get $c0) (local.get $c1))))
    (if (i32.and (i32.eq (local.get $op) (i32.const 4)) (i32.eq (local.get $splat) (i32.const 0)))
      (then (call $rows (i32.const 4) (i32.const 0) (local.get $x) (local.get $y) (local.get $out) (local.get $q) (local.get $width)
        (local.get $strideP) (local.get $strideQ) (local.get $first) (local.get $last) (local.get $c0) (local.get $c1))))
    (if (i32.and (i32.eq (local.get $op) (i32.const 4)) (i32.eq (local.get $splat) (i32.const 1)))
      (then (call $rows (i32.const 4) (i32.const 1) (local.get $x) (local.get $y) (local.get $out) (local.get $q) (local.get $width)
        (local.get $strideP) (local.get $strideQ) (local.get $first) (local.get $last) (local.get $c0) (local.get $c1))))
    (if (i32.and (i32.eq (local.get $op) (i32.const 5)) (i32.eq (local.get $splat) (i32.const 0)))
      (then (call $rows (i32.const 5) (i32.const 0) (local.get $x) (local.get $y) (local.get $out) (local.get $q) (local.get $width)
        (local.get $strideP) (local.get $strideQ) (local.get $first) (local.get $last) (local.get $c0) (local.get $c1))))
    (if (i32.and (i32.eq (local.get $op) (i32.const 5)) (i32.eq (local.get $splat) (i32.const 1)))
      (then (call $rows (i32.const 5) (i32.const 1) (local.get $x) (local.get $y) (local.get $out) (local.get $q) (local.get $width)
        (local.get $strideP) (local.get $strideQ) (local.get $first) (local.get $last) (local.get $c0) (local.get $c1)))))
)
