// A second component host for the shipped provider: the component transpiled by jco, run on
// Node with @bytecodealliance/preview2-shim for WASI. Only what the WIT contract asks of a
// host, and nothing of wasmtime's: the `cxm:ticketing/log` import, WASI from the shim (no
// environment, no arguments), and outbound HTTP confined to the tenant's own service the way
// the contract describes it (the origin of the form's `address` field, found by its kind).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';

/** What a provider call refused with: jco throws a `result`'s error as `ComponentError`. */
export function errorOf(thrown) {
  return thrown && typeof thrown === 'object' && 'payload' in thrown ? thrown.payload : undefined;
}

/**
 * The origin an address field's value names: a URL's own, a host name's over https, a bare
 * name as a ServiceNow subdomain. The Rust host applies the instance address grammar in
 * full (`instance-address`); for a host on this machine the plain reading is enough.
 */
export function originOf(address) {
  const value = address.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return new URL(value).origin;
  if (value.includes('.')) return new URL(`https://${value}`).origin;
  return `https://${value}.service-now.com`;
}

/**
 * Instantiates the transpiled component (`jco transpile --instantiation async` output in
 * `outDir`, its JS named `name.js`) as one tenant.
 */
export async function startTenant(outDir, name) {
  const { instantiate } = await import(pathToFileURL(join(outDir, `${name}.js`)).href);

  /** Everything the component reported through `cxm:ticketing/log`, in order. */
  const log = [];
  /** Every request it sent (or tried to), as the host saw it. */
  const requests = [];
  /** The bearer tokens it presented: none may show in a log entry or an answer. */
  const tokens = new Set();
  /** Origins the tenant may reach: its own, and a candidate's during a test. */
  let inForce = null;
  let candidate = null;

  const wasi = new WASIShim({ sandbox: { env: {}, args: [name], preopens: {} } }).getImportObject();
  const shimHandle = wasi['wasi:http/outgoing-handler'].handle;
  const handle = (request, options) => {
    const scheme = request.scheme();
    const schemeName = !scheme ? 'https' : scheme.tag === 'other' ? scheme.val : scheme.tag;
    const origin = `${schemeName.toLowerCase()}://${request.authority()}`;
    const method = request.method().tag === 'other' ? request.method().val : request.method().tag;
    const path = (request.pathWithQuery() ?? '').split('?')[0];
    const allowed = origin === inForce || origin === candidate;
    requests.push({ method: method.toUpperCase(), origin, path, allowed });
    for (const value of request.headers().get('authorization')) {
      const text = new TextDecoder().decode(value);
      if (/^bearer /i.test(text)) tokens.add(text.slice(7).trim());
    }
    if (!allowed) throw { tag: 'HTTP-request-denied' };
    return shimHandle(request, options);
  };

  const imports = {
    ...wasi,
    'wasi:http/outgoing-handler': { handle },
    'cxm:ticketing/log': {
      reportExchange(level, exchange) {
        log.push({ level, exchange });
      },
      note(level, message) {
        log.push({ level, note: message });
      },
    },
    // Types only; nothing to provide.
    'cxm:ticketing/types': {},
    'cxm:ticketing/secrets': {},
  };
  const getCoreModule = async (file) => WebAssembly.compile(await readFile(join(outDir, file)));
  const root = await instantiate(getCoreModule, imports);
  const provider = root.ticketingProvider;
  if (!provider) throw new Error(`the component exports no ticketing-provider (${Object.keys(root)})`);

  const form = provider.describe();
  const addressKeys = form.settings.filter((f) => f.kind === 'address').map((f) => f.key);
  const addressIn = (settings) => {
    const given = settings.find((s) => addressKeys.includes(s.key) && s.value.tag === 'text');
    return given ? originOf(given.value.val) : null;
  };

  return {
    provider,
    log,
    requests,
    tokens,
    get allowedOrigin() {
      return inForce;
    },
    /** `configure`, and on success the tenant's origin follows its address field. */
    configure(settings, secrets) {
      provider.configure(settings, secrets);
      inForce = addressIn(settings);
    },
    /** `test-connection`; a candidate's origin is reachable for this call only. */
    testConnection(values) {
      candidate = values ? addressIn(values.settings) : null;
      try {
        return provider.testConnection(values);
      } finally {
        candidate = null;
      }
    },
  };
}
