/** The console's one DOM helper: elements from a tag, attributes and children, no framework. */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
  return el;
}

/** Replaces what `parent` shows. */
export function show(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(
    ...children
      .filter((c): c is Node | string => c !== null && c !== undefined && c !== false)
      .map((c) => (typeof c === 'number' ? String(c) : c)),
  );
}

export const fmt = {
  pct: (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${x.toFixed(0)} %`),
  num: (x: number | null | undefined, digits = 1): string =>
    x === null || x === undefined ? '–' : x.toLocaleString('en-GB', { maximumFractionDigits: digits }),
  /** UTC, as every time in DubeGrid is. */
  time: (iso: string | null | undefined): string => (iso ? `${iso.slice(0, 16).replace('T', ' ')}` : '–'),
};

/**
 * Marks the moment a page has painted with its data (`dubegrid:<what>` in the Performance
 * timeline, measured from navigation start): the console benchmark reads it.
 */
export function markRendered(what: string): void {
  requestAnimationFrame(() => performance.mark(`dubegrid:${what}`));
}
