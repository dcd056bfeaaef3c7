// The assembler's inliner (scripts/wasm/inline.mjs): a module with helper functions (called in
// a loop, nested, with locals that a call starts from zero) computes the same with its helpers
// inlined as without, and the inlined module calls nothing; helpers it cannot inline are refused.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module of the build scripts, without types
import { inlineHelpers } from '../../../../../scripts/wasm/inline.mjs';
import wabtInit from 'wabt';

const SOURCE = `(module
  ;; counts its calls in a local that each call starts from zero: 1 each time
  (func $once (result i32) (local $n i32)
    (local.set $n (i32.add (local.get $n) (i32.const 1)))
    (local.get $n))
  (func $square (param $x f32) (result f32) (f32.mul (local.get $x) (local.get $x)))
  ;; a (b^2) + once(): a helper calling a helper, arguments evaluated once each
  (func $combine (param $a f32) (param $b f32) (result f32)
    (f32.add (f32.mul (local.get $a) (call $square (local.get $b))) (f32.convert_i32_s (call $once))))
  (func (export "run") (param $n i32) (result f32) (local $acc f32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $acc (call $combine (local.get $acc) (f32.convert_i32_s (local.tee $i (i32.add (local.get $i) (i32.const 1))))))
      (br $next)))
    (local.get $acc)))`;

type Run = (n: number) => number;

async function instantiate(text: string): Promise<Run> {
  const wabt = await wabtInit();
  const module = wabt.parseWat('test.wat', text, {});
  const bytes = module.toBinary({}).buffer;
  module.destroy();
  const Wasm = (globalThis as unknown as { WebAssembly: { Instance: new (m: unknown) => { exports: { run: Run } }; Module: new (b: Uint8Array) => unknown } }).WebAssembly;
  return new Wasm.Instance(new Wasm.Module(bytes)).exports.run;
}

describe('the assembler inlining helpers', () => {
  it('computes what the calls computed, and leaves no call', async () => {
    const inlined = inlineHelpers(SOURCE) as string;
    expect(inlined).not.toMatch(/\(call /);
    expect(inlined).not.toMatch(/\$square \(param/);
    const [direct, flat] = [await instantiate(SOURCE), await instantiate(inlined)];
    for (const n of [0, 1, 5, 40]) expect(flat(n)).toBe(direct(n));
    // acc <- acc i^2 + 1 for i = 1..3: ((0 + 1) 4 + 1) 9 + 1.
    expect(flat(3)).toBe(46);
  });

  it('refuses a helper that returns early or calls itself', () => {
    const early = SOURCE.replace('(local.get $x) (local.get $x)))', '(local.get $x) (local.get $x)) (return (f32.const 0)))');
    expect(() => inlineHelpers(early)).toThrow(/\$square: an inlined helper may not return early/);
    const recursive = SOURCE.replace('(f32.mul (local.get $x) (local.get $x))', '(f32.mul (local.get $x) (call $square (local.get $x)))');
    expect(() => inlineHelpers(recursive)).toThrow(/\$square: an inlined helper may not call itself/);
  });
});
