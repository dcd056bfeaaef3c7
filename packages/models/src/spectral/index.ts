// The spectral namespace: real-in, real-out, differentiable FFT-family ops.
export {};
