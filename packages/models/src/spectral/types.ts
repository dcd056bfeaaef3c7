import type * as tf from '@tensorflow/tfjs';

/** Scaling convention, as numpy.fft: which direction carries the 1/n (or both 1/sqrt n). */
export type FftNorm = 'backward' | 'ortho' | 'forward';

/** A complex tensor as its real and imaginary parts, two float32 tensors of one shape. */
export type ComplexTensors = { re: tf.Tensor; im: tf.Tensor };
