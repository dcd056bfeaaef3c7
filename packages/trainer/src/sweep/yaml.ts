/**
 * A YAML writer for manifests: block style, every string double-quoted with JSON's escapes (a
 * subset of YAML's), so no value can be read back as a number, a boolean, null or a comment.
 * Numbers, booleans and null are written plain; empty lists and maps in flow style.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

/** A key that every YAML reader takes as the same plain string. */
const plainKey = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const reservedWords = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;

export function yamlString(s: string): string {
  // JSON leaves DEL and the C1 controls raw; YAML does not allow them unescaped.
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function yamlKey(k: string): string {
  return plainKey.test(k) && !reservedWords.test(k) ? k : yamlString(k);
}

function scalar(v: string | number | boolean | null): string {
  if (typeof v === 'string') return yamlString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} to a manifest`);
    return String(v);
  }
  return String(v);
}

function isCollection(v: YamlValue): v is YamlValue[] | { [key: string]: YamlValue } {
  return typeof v === 'object' && v !== null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}

function emptyOrScalar(v: YamlValue): string {
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object' && v !== null) return '{}';
  return scalar(v);
}

function lines(v: YamlValue, indent: string): string[] {
  if (!isCollection(v)) return [`${indent}${emptyOrScalar(v)}`];
  if (Array.isArray(v)) {
    return v.flatMap((item) => {
      if (!isCollection(item)) return [`${indent}- ${emptyOrScalar(item)}`];
      // The item's first line shares the dash; the rest align under it.
      const inner = lines(item, `${indent}  `);
      return [`${indent}- ${inner[0]!.slice(indent.length + 2)}`, ...inner.slice(1)];
    });
  }
  return Object.entries(v).flatMap(([k, item]) => {
    if (!isCollection(item)) return [`${indent}${yamlKey(k)}: ${emptyOrScalar(item)}`];
    return [`${indent}${yamlKey(k)}:`, ...lines(item, `${indent}  `)];
  });
}

/** One YAML document. */
export function toYaml(value: YamlValue): string {
  return `${lines(value, '').join('\n')}\n`;
}

/** Several documents in one stream, as `kubectl apply -f` takes them. */
export function toYamlDocuments(values: readonly YamlValue[]): string {
  return values.map((v) => `---\n${toYaml(v)}`).join('');
}
