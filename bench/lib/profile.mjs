// Reads a V8 .cpuprofile (node --cpu-prof) and lists the functions with the most self time.

/**
 * @param {{ nodes: Array<{ id:number, callFrame:{ functionName:string, url:string, lineNumber:number }, hitCount?:number }>, samples?:number[] }} profile
 * @param {number} limit
 */
export function summariseProfile(profile, limit = 25) {
  const hitsById = new Map();
  if (Array.isArray(profile.samples) && profile.samples.length > 0) {
    for (const id of profile.samples) hitsById.set(id, (hitsById.get(id) ?? 0) + 1);
  } else {
    for (const node of profile.nodes) hitsById.set(node.id, node.hitCount ?? 0);
  }
  let total = 0;
  const byFunction = new Map();
  for (const node of profile.nodes) {
    const hits = hitsById.get(node.id) ?? 0;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^file:\/\//, '').replace(/^.*?\/node_modules\//, 'node_modules/').replace(/^.*?\/packages\//, 'packages/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}\u0000${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  }
  return [...byFunction.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, hits]) => {
      const [name, location] = key.split('\u0000');
      return { function: name, location, percent: total === 0 ? 0 : (100 * hits) / total };
    });
}
