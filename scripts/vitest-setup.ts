// Runs before every test file: tfjs as the `lra` program runs it (selectBackend's quietTfjs), so
// the cpu backend's "install our node backend" banner and tfjs' registration warnings do not
// repeat through the test output for every file that uses tfjs without selecting a backend.
import * as tf from '@tensorflow/tfjs';

tf.env().set('PROD', true);
