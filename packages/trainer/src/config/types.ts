/** The fully resolved experiment configuration: what `config.json` of every run holds. */
export type BackendRequest = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type ScheduleName = 'rsqrt' | 'cosine' | 'linear' | 'constant';

export interface DataConfig {
  /** Root of the project's data: raw/ (release files or generated ones) and cache/ (Arrow). */
  dataDir: string;
  /** Official release files (the release root or the task's folder); null = cache or generator. */
  source: string | null;
  /** Generator options for generatable tasks when no source is given; null = task defaults. */
  generator: Record<string, unknown> | null;
  /** Truncation/padding length; null = the task's official length. */
  seqLen: number | null;
  skipBad: boolean;
  /**
   * LRA's masking for image tasks: pixels of grey level 0 count as padding (attention ignores
   * them, 'mean' pooling leaves them out), as transformer.py masks inputs == 0. Absent means false.
   */
  zeroIsPadding?: boolean;
}

export interface ModelConfig {
  dModel: number;
  heads: number;
  layers: number;
  mlpDim: number;
  dropout: number;
  attentionDropout: number;
  /**
   * 'cls': a CLS token is prepended and read. 'mean': the mean over real tokens. 'mean-all': the
   * mean over every position, padding included (LRA's MEAN). 'first': position 0 without a CLS
   * token (LRA's dual encoder's 'CLS').
   */
  pool: 'cls' | 'mean' | 'mean-all' | 'first';
  positions: 'learned' | 'sinusoidal' | 'none';
  /**
   * null = the block style of the mixer's paper. With backbone 'ssm': where each block's norm sits
   * (S4's prenorm: true is 'pre-ln', false 'post-ln'); null = 'pre-ln'.
   */
  block: 'pre-ln' | 'post-ln' | null;
  /**
   * 'transformer': LRA's encoder (mixer and feed-forward blocks, LRA's head). 'ssm': the backbone
   * state-spaces/s4 trains its LRA models with: residual blocks around the mixer alone, `norm`,
   * S4's head, no weight decay on biases, norms and embeddings. Absent or null = the mixer's
   * default (its spec), else 'transformer'; a resolved config holds it only when set.
   */
  backbone?: 'transformer' | 'ssm' | null;
  /**
   * The ssm backbone's norm: 'layer' or 'batch' (BatchNorm1d over batch and length per channel,
   * running statistics for evaluation, statistics over real tokens). Absent or null = 'layer'.
   */
  norm?: 'layer' | 'batch' | null;
  /**
   * Batch norm's running-statistics momentum in torch's convention (weight of the newest batch).
   * Absent or null = torch's 0.1. flax's momentum m (S5's bn_momentum) is 1 - m here.
   */
  batchNormMomentum?: number | null;
  /**
   * The ssm backbone's dropout with one mask per example and channel over the whole length
   * (S4's tie_dropout; S5's dropout broadcast over the length). Absent means false.
   */
  tieDropout?: boolean;
  /**
   * Which encoder parameters skip weight decay (the ssm backbone's choice; the transformer's is
   * 'lra'): 'lra' none; 's4' biases, norms and embedding tables (S4's groups); 's5' norms (S5's).
   * Absent or null = the backbone's default ('s4' for ssm).
   */
  decayGroups?: 'lra' | 's4' | 's5' | null;
  /** 'lra': Dense, ReLU, Dense (LRA's). 's4': S4's decoder (a Linear; AAN's nli head with GELU). Absent or null = the backbone's. */
  head?: 'lra' | 's4' | null;
  /**
   * 'embedding': a vector per token id. 'linear': image tasks only: each pixel's grey level as a
   * value in [0, 1], normalised by inputMean and inputStd, through one Linear(1 -> dModel), as S4,
   * S5 and Mega encode pixels. Absent or null = 'embedding'.
   */
  encoder?: 'embedding' | 'linear' | null;
  /** The linear encoder's normalisation, (value - inputMean) / inputStd; absent or null = 0 and 1. */
  inputMean?: number | null;
  inputStd?: number | null;
  /** null = mlpDim, as LRA's classifier head. */
  classifierHidden: number | null;
  pairInteraction: 'concat' | 'nli';
  mixerOptions: Record<string, unknown>;
  /**
   * Reversible residual blocks (the Reformer's): activation memory that does not grow with depth.
   * Absent means false; a resolved config holds it only when true.
   */
  reversible?: boolean;
  /** 'block': every block's activations are recomputed in the backward pass. Absent means 'none'. */
  recompute?: 'none' | 'block';
}

export interface TrainConfig {
  batchSize: number;
  steps: number;
  /**
   * The schedule's base factor, LRA's `learning_rate`: the rate itself under 'constant' and
   * 'cosine', but under 'rsqrt' the rate is lr / sqrt(max(step, warmup)), so LRA's 0.05 with
   * 1,000 warm-up steps peaks at 0.05 / sqrt(1000) = 1.6e-3. `lra train` logs the peak rate.
   */
  lr: number;
  schedule: ScheduleName;
  warmup: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Global-norm gradient clipping; null = off (LRA's default). */
  gradClipNorm: number | null;
  evalEvery: number;
  /** Validation batches per evaluation; null = the whole split. */
  evalBatches: number | null;
  evalBatchSize: number;
  logEvery: number;
  /**
   * Examples per forward/backward pass; the optimiser still steps once per batchSize. 'auto' (the
   * default, also when absent): the largest that the memory planner predicts to fit the backend.
   */
  microBatch?: number | 'auto';
  /** Minutes between the checkpoints written between validations (absent: 10; 0: every step). */
  checkpointMinutes?: number;
  /**
   * The memory a training step may hold, in MiB; absent: the backend's (wasm: 85% of its 4 GiB
   * heap; others: 60% of the machine's memory). Set it for a GPU, whose memory tfjs cannot see.
   */
  memoryLimitMiB?: number;
}

export interface ExperimentConfig {
  task: string;
  mixer: string;
  preset: string;
  seed: number;
  backend: BackendRequest;
  data: DataConfig;
  model: ModelConfig;
  train: TrainConfig;
  /** Where the run writes report.json, config.json, metrics.jsonl and checkpoints/. */
  out: string;
}
