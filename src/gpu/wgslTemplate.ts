/**
 * WGSL sources with `{{NAME}}` placeholders, for the few variants an `override` constant cannot
 * make (a type, an `enable`). The kernel stays a real .wgsl file; filling is strict both ways: a
 * placeholder without a value and a value the source never uses are errors, so a renamed
 * placeholder cannot silently leave a kernel half-filled (docs/kernels.md, "Generating variants").
 */
export function fillWgslTemplate(
  name: string,
  source: string,
  values: Readonly<Record<string, string | number>>,
): string {
  const used = new Set<string>();
  const filled = source.replace(/\{\{(\w+)\}\}/g, (_all, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`${name}: placeholder {{${key}}} has no value`);
    used.add(key);
    return String(value);
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`${name}: no placeholder for ${unused.map((k) => `{{${k}}}`).join(', ')}`);
  return filled;
}

/** Element types a kernel's dtype alias takes; f16 needs the extension enabled first. */
export type KernelDtype = 'f32' | 'f16';

/**
 * The template values of a kernel's element type: `{{ENABLE_F16}}` (the directive, or nothing)
 * and the alias's own placeholder, e.g. `alias IN = {{IN}};`.
 */
export function dtypeValues(alias: string, dtype: KernelDtype): Record<string, string> {
  return { ENABLE_F16: dtype === 'f16' ? 'enable f16;' : '', [alias]: dtype };
}
