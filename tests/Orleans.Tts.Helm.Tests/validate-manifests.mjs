// Validates Kubernetes manifests offline and strictly (unknown fields are errors, as with kubectl --validate=strict).
//
// Usage: node validate-manifests.mjs NODE_MODULES < manifests.json   (a JSON array of objects)
// NODE_MODULES is the tree scripts/install-k8s-schemas.sh installs. Prints one line per problem,
// "Kind name: /path message", and exits 1 when there is any; else prints "N manifests valid" and exits 0.
//
// Each object is checked by the ajv validator that kubernetes-models compiled from the Kubernetes OpenAPI
// schema of its apiVersion and kind (types, required fields, enums, formats); KEDA and prometheus-operator
// objects by the validators compiled from their CRD schemas. Those schemas do not forbid unknown fields (the
// API server drops them), so the object is handed to the validator behind proxies that record which fields
// it looks up: a compiled validator looks up every field its schema declares and iterates over maps, so a
// field it never looked at is one the schema does not declare.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
if (!modules || !existsSync(join(modules, "kubernetes-models"))) {
  console.error(`validate-manifests: no kubernetes-models under '${modules}' (run scripts/install-k8s-schemas.sh)`);
  process.exit(2);
}
// Where the validators of each API group live: built-in groups in kubernetes-models, CRDs in their packages.
const crdPackages = { "keda.sh": "@kubernetes-models/keda", "monitoring.coreos.com": "@kubernetes-models/prometheus-operator" };

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const pkg = crdPackages[group] ?? "kubernetes-models";
  if (pkg === "kubernetes-models" && /(alpha|beta)/.test(version))
    return { error: `${apiVersion} is not a GA API (removed or off by default in current Kubernetes); use the GA version` };
  const file = join(modules, pkg, group || "", version, `${kind}.js`);
  if (!/^[A-Za-z0-9]+$/.test(kind) || !existsSync(file)) return { error: `no schema for ${apiVersion} ${kind}` };
  const model = (await import(pathToFileURL(file).href))[kind];
  if (!Object.hasOwn(model?.prototype ?? {}, "validate")) return { error: `${apiVersion} ${kind} has no validator` };
  return { validate: model.prototype.validate };
}

// Wraps value so that every own field read through it is recorded; returns the proxy and the records.
function tracker(root) {
  const seen = new WeakMap(), proxies = new WeakMap(), paths = [];
  const wrap = (value, path) => {
    if (value === null || typeof value !== "object") return value;
    if (proxies.has(value)) return proxies.get(value);
    seen.set(value, new Set());
    if (!Array.isArray(value)) paths.push([value, path]);
    const mark = (t, k) => typeof k === "string" && Object.hasOwn(t, k) && (seen.get(t).add(k), true);
    const proxy = new Proxy(value, {
      get: (t, k, r) => (mark(t, k) ? wrap(t[k], `${path}/${k}`) : Reflect.get(t, k, r)),
      has: (t, k) => (mark(t, k), Reflect.has(t, k)),
    });
    proxies.set(value, proxy);
    return proxy;
  };
  const proxy = wrap(root, "");
  const unknown = () => paths.flatMap(([o, path]) => Object.keys(o).filter(k => !seen.get(o).has(k)).map(k => `${path}/${k}`));
  return { proxy, unknown };
}

function describe(err) {
  const where = err.instancePath || "/";
  if (err.keyword === "enum") return `${where} must be one of ${err.params.allowedValues.map(v => JSON.stringify(v)).join(", ")}`;
  if (err.keyword === "required") return `${where} is missing the required field '${err.params.missingProperty}'`;
  return `${where} ${err.message}`;
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const manifests = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const problems = [];
for (const m of manifests) {
  const label = `${m?.kind ?? "?"} ${m?.metadata?.name ?? "?"}`;
  if (typeof m?.apiVersion !== "string" || typeof m?.kind !== "string") { problems.push(`${label}: apiVersion and kind are required`); continue; }
  const { validate, error } = await modelFor(m.apiVersion, m.kind);
  if (error) { problems.push(`${label}: ${error}`); continue; }
  const { proxy, unknown } = tracker(m);
  try {
    validate.call(proxy);
  } catch (e) {
    if (!Array.isArray(e.errors)) throw e;
    for (const err of e.errors) problems.push(`${label}: ${describe(err)}`);
  }
  for (const path of unknown()) problems.push(`${label}: ${path} is not a field of ${m.apiVersion} ${m.kind}`);
}
for (const p of problems) console.log(p);
if (problems.length > 0) process.exit(1);
console.log(`${manifests.length} manifests valid`);
