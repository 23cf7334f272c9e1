// Squarified treemap (Bruls, Huizing, van Wijk): rectangles whose areas follow the values,
// kept close to square so that small ones stay visible. Pure layout, in percent of the box.
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

function worst(row: number[], side: number): number {
  const sum = row.reduce((a, b) => a + b, 0);
  const max = Math.max(...row);
  const min = Math.min(...row);
  return Math.max((side * side * max) / (sum * sum), (sum * sum) / (side * side * min));
}

/** Rectangles for `values` (sorted biggest first, all > 0) in a w × h box. */
export function squarify(values: number[], box: Rect): Rect[] {
  const total = values.reduce((a, b) => a + b, 0);
  if (total <= 0) return values.map(() => ({ x: box.x, y: box.y, w: 0, h: 0 }));
  const scale = (box.w * box.h) / total;
  const areas = values.map((v) => v * scale);
  const out: Rect[] = [];
  let free = { ...box };
  let i = 0;
  while (i < areas.length) {
    const side = Math.min(free.w, free.h);
    const row = [areas[i] as number];
    let j = i + 1;
    while (j < areas.length && worst([...row, areas[j] as number], side) <= worst(row, side)) row.push(areas[j++] as number);
    const sum = row.reduce((a, b) => a + b, 0);
    if (free.w >= free.h) {
      const w = sum / free.h;
      let y = free.y;
      for (const a of row) {
        out.push({ x: free.x, y, w, h: a / w });
        y += a / w;
      }
      free = { x: free.x + w, y: free.y, w: free.w - w, h: free.h };
    } else {
      const h = sum / free.w;
      let x = free.x;
      for (const a of row) {
        out.push({ x, y: free.y, w: a / h, h });
        x += a / h;
      }
      free = { x: free.x, y: free.y + h, w: free.w, h: free.h - h };
    }
    i = j;
  }
  return out;
}
