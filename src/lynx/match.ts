// The one wildcard rule of the platform's filters (no I/O): in a FunctionX/DeviceX
// type or meta value filter, `*` matches any run of characters, newlines included
// (`*` alone: any value, so the key must exist); without `*` the value must be
// equal. The Lynx API's list filters, functionx-in's type and meta selection,
// find-or-create and the sandbox all match through this.

/** A matcher of one pattern; undefined (a missing meta key) never matches. */
export function wildcard(pattern: string): (value: string | undefined) => boolean {
  if (!pattern.includes('*')) return (v) => v === pattern;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return (v) => v !== undefined && re.test(v);
}
