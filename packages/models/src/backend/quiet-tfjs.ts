import * as tf from '@tensorflow/tfjs';

/**
 * Silences what tfjs prints on its own: the cpu backend's "install our node backend" banner,
 * "platform has already been set" and "backend already registered" warnings, and the failure
 * messages of backends it tries. In tfjs-core 4.22 all of them go through its log helpers, which
 * stay quiet when the PROD flag is on; that flag changes nothing else in core. The native
 * TensorFlow library of tfjs-node logs on its own, unless TF_CPP_MIN_LOG_LEVEL says otherwise.
 */
export function quietTfjs(): void {
  tf.env().set('PROD', true);
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
}
