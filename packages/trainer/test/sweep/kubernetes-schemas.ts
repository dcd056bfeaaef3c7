import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

// The committed strict schemas (k8s-schemas/README.md says where they come from), by apiVersion/kind.
const schemaFiles: Record<string, string> = {
  'batch/v1 Job': 'job-batch-v1.json',
  'v1 ConfigMap': 'configmap-v1.json',
};

// strict: a schema keyword ajv does not know is an error, not silently ignored; allErrors: report
// every misspelt field at once; allowUnionTypes: IntOrString is [number, string], as in the API.
const schemaDir = join(dirname(fileURLToPath(import.meta.url)), 'k8s-schemas');
const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
const validators = new Map<string, ValidateFunction>();

function validatorFor(key: string): ValidateFunction | null {
  const file = schemaFiles[key];
  if (file === undefined) return null;
  let validate = validators.get(key);
  if (validate === undefined) {
    validate = ajv.compile(JSON.parse(readFileSync(join(schemaDir, file), 'utf8')));
    validators.set(key, validate);
  }
  return validate;
}

/** One line per problem, `<kind> <path>: <message>`; empty when the object is valid. */
export function kubernetesSchemaErrors(object: unknown): string[] {
  const { apiVersion, kind } = (object ?? {}) as { apiVersion?: unknown; kind?: unknown };
  const key = `${String(apiVersion)} ${String(kind)}`;
  const validate = validatorFor(key);
  if (validate === null) return [`${key}: no schema for this kind (k8s-schemas/README.md)`];
  if (validate(object)) return [];
  return (validate.errors ?? []).map((e: ErrorObject) => `${kind} ${e.instancePath || '/'}: ${e.message}${e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : ''}`);
}
