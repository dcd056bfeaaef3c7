/**
 * One line of a Pathfinder metadata file (`metadata/<batch>.npy`, plain text despite the name),
 * as the Linsley et al. generator writes it: 11 fields separated by single spaces.
 */
export interface PathfinderMetadata {
  /** Field 0: the image's folder relative to the difficulty folder, e.g. `imgs/0`. */
  imageDir: string;
  /** Field 1: the image's file name, e.g. `sample_0.png`. */
  imageFile: string;
  /** Field 2: the image's index in its batch. */
  index: number;
  /** Field 3: 1 when both markers sit on the same contour. */
  label: number;
  continuity: number;
  contourLength: number;
  distractorLength: number;
  paddleLength: number;
  paddleThickness: number;
  paddleMargin: number;
  /** Field 10: how many paddle contrasts the generator could draw from. */
  contrastCount: number;
}

export const PATHFINDER_METADATA_FIELDS = 11;

export const pathfinderMetadataFieldNames: readonly string[] = [
  'image folder',
  'image file',
  'index',
  'label',
  'continuity',
  'contour_length',
  'distractor_length',
  'paddle_length',
  'paddle_thickness',
  'paddle_margin',
  'contrast count',
];

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A path field that stays inside the difficulty folder: relative, no `..`, no empty parts. */
function pathProblem(name: string, value: string): string | null {
  if (value.length === 0) return `${name} is empty`;
  if (value.startsWith('/') || value.includes('\\')) return `${name} ${JSON.stringify(value)} is not a relative path with / separators`;
  if (value.split('/').some((part) => part === '' || part === '..' || part === '.')) {
    return `${name} ${JSON.stringify(value)} has an empty, . or .. part`;
  }
  return null;
}

/**
 * Parses one metadata line (without its line end) as LRA's reader splits it, on single spaces;
 * returns the record, or the reason the line is malformed. The label is `int(field 3)` and
 * must be 0 or 1; the other numeric fields are checked to be numbers (LRA reads only fields 0,
 * 1 and 3, but a line whose numbers are not numbers is not a metadata line).
 */
export function parsePathfinderMetadataLine(line: string): PathfinderMetadata | string {
  if (line.length === 0) return 'empty line';
  const f = line.split(' ');
  if (f.length !== PATHFINDER_METADATA_FIELDS) {
    return `expected ${PATHFINDER_METADATA_FIELDS} space-separated fields, found ${f.length}`;
  }
  const problem = pathProblem('image folder (field 1)', f[0]!) ?? pathProblem('image file (field 2)', f[1]!);
  if (problem !== null) return problem;
  if (!INTEGER.test(f[3]!)) return `label ${JSON.stringify(f[3])} (field 4) is not an integer`;
  const label = Number(f[3]);
  if (label !== 0 && label !== 1) return `label ${f[3]} (field 4) is not 0 or 1`;
  if (!INTEGER.test(f[2]!)) return `index ${JSON.stringify(f[2])} (field 3) is not an integer`;
  const numbers: number[] = [];
  for (let i = 4; i < PATHFINDER_METADATA_FIELDS; i++) {
    if (!NUMBER.test(f[i]!)) return `${pathfinderMetadataFieldNames[i]} ${JSON.stringify(f[i])} (field ${i + 1}) is not a number`;
    numbers.push(Number(f[i]));
  }
  return {
    imageDir: f[0]!,
    imageFile: f[1]!,
    index: Number(f[2]),
    label,
    continuity: numbers[0]!,
    contourLength: numbers[1]!,
    distractorLength: numbers[2]!,
    paddleLength: numbers[3]!,
    paddleThickness: numbers[4]!,
    paddleMargin: numbers[5]!,
    contrastCount: numbers[6]!,
  };
}

/** A number as Python's str() prints it: floats keep a `.0` (1.0), ints do not. */
export function pythonNumber(value: number, isFloat: boolean): string {
  if (!isFloat) return String(value);
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

/**
 * The metadata line for one image, as the generator (snakes2's accumulate_meta) writes it:
 * continuity and paddle thickness are floats there, the other numbers ints.
 */
export function formatPathfinderMetadataLine(m: PathfinderMetadata): string {
  return [
    m.imageDir,
    m.imageFile,
    String(m.index),
    String(m.label),
    pythonNumber(m.continuity, true),
    String(m.contourLength),
    String(m.distractorLength),
    String(m.paddleLength),
    pythonNumber(m.paddleThickness, true),
    String(m.paddleMargin),
    String(m.contrastCount),
  ].join(' ');
}
