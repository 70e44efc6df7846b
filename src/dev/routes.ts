// `--route PREFIX=URL`: which local server answers which paths, the way a load balancer's URL map
// does it: the longest matching prefix wins, and the path is passed on unchanged.

export interface Route {
  prefix: string;
  target: URL;
}

export function parseRoute(text: string): Route {
  const i = text.indexOf('=');
  if (i <= 0) throw new Error(`--route "${text}" is invalid: write PREFIX=URL, e.g. /api/=http://localhost:5000`);
  const prefix = text.slice(0, i).trim();
  const raw = text.slice(i + 1).trim();
  if (!prefix.startsWith('/')) throw new Error(`--route "${text}": the prefix must start with /, e.g. /api/`);
  let target: URL;
  try {
    target = new URL(raw);
  } catch {
    throw new Error(`--route "${text}": "${raw}" is not a URL; use e.g. http://localhost:5000`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new Error(`--route "${text}": only http and https targets work`);
  if (target.pathname !== '/' || target.search)
    throw new Error(`--route "${text}": give the server's origin only (paths are passed on unchanged)`);
  return { prefix, target };
}

/** Routes checked for duplicates, longest prefix first. */
export function routeTable(texts: string[]): Route[] {
  if (!texts.length) throw new Error('give at least one --route, e.g. --route /=http://localhost:5173');
  const routes = texts.map(parseRoute);
  const seen = new Set<string>();
  for (const r of routes) {
    if (seen.has(r.prefix)) throw new Error(`--route: the prefix ${r.prefix} is given twice`);
    seen.add(r.prefix);
  }
  return routes.sort((a, b) => b.prefix.length - a.prefix.length);
}

export function pickRoute(routes: Route[], path: string): Route | undefined {
  return routes.find((r) => path.startsWith(r.prefix) || (r.prefix.endsWith('/') && path === r.prefix.slice(0, -1)));
}
