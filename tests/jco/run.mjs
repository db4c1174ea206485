#!/usr/bin/env node
// The shipped component under a second host: transpiled by jco, run on Node against the
// ServiceNow simulator, driven as a platform drives it (docs/jco.md).
//
//   node tests/jco/run.mjs [path/to/servicenow_ticketing.wasm]
//
// The component defaults to the one cargo builds and ships (target/component/
// servicenow_ticketing.wasm, optimised and wrapped by component-artifact's build script;
// CARGO_TARGET_DIR is honoured). The simulator is `cargo run -q -p host-harness -- simulator`, or the binary
// HOST_HARNESS names. Exits non-zero, naming the step and what differed, on any mismatch.
//
// A step is a function of the run's context returning a line for the summary (or a promise
// of one); adding a call to the contract (changes-since, attach-file) is adding an entry to
// `steps`.
//
// The tenant's instance speaks HTTPS (`simulator --tls 127.0.0.1`, a certificate from a test
// CA made when it starts). Node reads the roots it trusts beside its own from
// NODE_EXTRA_CA_CERTS once, when it starts: so this script starts the simulator, writes its
// CA to a file, and runs the steps in a Node process of its own that trusts it
// (JCO_SIMULATOR hands it the simulator). The candidate's second instance stays on plain
// HTTP, so both paths are covered.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

import { errorOf, startTenant } from './host.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const targetDir = resolve(root, process.env.CARGO_TARGET_DIR ?? 'target');
const component = resolve(
  process.argv[2] ??
    join(targetDir, 'component/servicenow_ticketing.wasm'),
);
const outDir = join(here, 'out');
/** Runs host-harness: the simulator, and describe under wasmtime for comparison. */
const hostHarness = process.env.HOST_HARNESS
  ? [resolve(process.env.HOST_HARNESS)]
  : ['cargo', 'run', '-q', '-p', 'host-harness', '--'];
const name = 'servicenow_ticketing';

class Mismatch extends Error {}

function check(condition, message) {
  if (!condition) throw new Mismatch(typeof message === 'function' ? message() : message);
}

function show(value) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}` : v)) ?? String(value);
}

/** Every answer and error the component gave, for the secret scan at the end. */
const answers = [];

/** A provider call that must succeed: its value, or the error it gave as a mismatch. */
function ok(what, call) {
  try {
    const value = call();
    answers.push(value);
    return value;
  } catch (thrown) {
    const error = errorOf(thrown);
    if (error === undefined) throw thrown;
    answers.push(error);
    throw new Mismatch(`${what}: expected success, got ${show(error)}`);
  }
}

/** A provider call that must fail: the error record it gave. */
function refused(what, call) {
  let value;
  try {
    value = call();
  } catch (thrown) {
    const error = errorOf(thrown);
    if (error === undefined) throw thrown;
    answers.push(error);
    return error;
  }
  answers.push(value);
  throw new Mismatch(`${what}: expected an error, got ${show(value)}`);
}

const text = (val) => ({ tag: 'text', val });

// ---- the steps ---------------------------------------------------------------------------

/** The form, as a platform reads it. */
function describe(ctx) {
  const info = ok('describe', () => ctx.provider.describe());
  ctx.info = info;
  check(info.name === 'ServiceNow', `describe: name ${show(info.name)}`);
  check(info.version, 'describe: no version');
  const keys = info.settings.map((f) => f.key);
  check(new Set(keys).size === keys.length, `describe: a key twice in ${show(keys)}`);
  for (const key of ['instance', 'client_id', 'client_secret', 'ticket_categories']) {
    check(keys.includes(key), `describe: no setting ${key} in ${show(keys)}`);
  }
  const address = info.settings.filter((f) => f.kind === 'address');
  check(
    address.length === 1 && address[0].key === 'instance' && address[0].required,
    () => `describe: the address field is ${show(address)}, expected the required "instance"`,
  );
  check(
    /Enter only the subdomain/.test(address[0].help),
    'describe: the address help lost the guide words',
  );
  const kindOf = (key) => info.settings.find((f) => f.key === key).kind;
  check(kindOf('client_secret') === 'secret', 'describe: client_secret is not a secret field');
  check(kindOf('ticket_categories') === 'ticket-categories', 'describe: ticket_categories kind');
  for (const field of info.settings.filter((f) => f.kind === 'choice')) {
    check(field.choices.length > 0, `describe: choice field ${field.key} has no choices`);
  }
  for (const call of ['test-connection', 'create-ticket', 'get-ticket']) {
    check(info.capabilities.includes(call), `describe: capability ${call} missing`);
  }
  check(
    info.ticketKinds.some((k) => k.value === 'incident'),
    'describe: incident is not a ticket kind',
  );
  check(isDeepStrictEqual(ctx.provider.describe(), info), 'describe: a second answer differs');
  return `${info.name} ${info.version}, ${keys.length} settings, address field "instance"`;
}

/** The same answer as the wasmtime host gives (`host-harness describe --json`). */
function describeAsUnderWasmtime(ctx) {
  const [command, ...args] = hostHarness;
  const run = spawnSync(command, [...args, 'describe', '--json'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  check(run.status === 0, `host-harness describe --json exited with ${run.status}`);
  const wasmtime = JSON.parse(run.stdout);
  // The CLI's JSON is the record with snake_case keys and null for none.
  const snake = (value) =>
    Array.isArray(value)
      ? value.map(snake)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value).map(([k, v]) => [
              k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
              snake(v),
            ]),
          )
        : value === undefined
          ? null
          : value;
  const jco = snake(ctx.info);
  for (const key of new Set([...Object.keys(jco), ...Object.keys(wasmtime)])) {
    check(
      isDeepStrictEqual(jco[key], wasmtime[key]),
      () => `describe differs from wasmtime's in ${key}: ${show(jco[key])} vs ${show(wasmtime[key])}`,
    );
  }
  return 'the same record as host-harness describe --json';
}

/** As the admin types: a bad value names its field; nothing needs the network. */
function validateField(ctx) {
  ok('validate-field instance dev12345', () =>
    ctx.provider.validateField('instance', text('dev12345')),
  );
  const cases = [
    ['instance', text('http://dev1.service-now.com'), /https/],
    ['client_id', text('abc '), /whitespace/],
    ['client_secret', text(' s3cret-typed'), /whitespace/],
    ['default_priority', text('urgent'), /not one of/],
  ];
  for (const [key, value, words] of cases) {
    const error = refused(`validate-field ${key}`, () => ctx.provider.validateField(key, value));
    check(
      error.kind === 'invalid-settings' && error.field === key && words.test(error.message),
      () => `validate-field ${key} ${show(value)}: ${show(error)}`,
    );
    check(!show(error).includes('s3cret-typed'), `validate-field ${key}: the error shows the secret`);
  }
  check(ctx.tenant.requests.length === 0, 'validate-field used the network');
  return `${cases.length} bad values refused with their field`;
}

/** Generic values by the form's keys, the secret apart; a call before it is refused. */
function configure(ctx) {
  const early = refused('create-ticket before configure', () =>
    ctx.provider.createTicket(ticket('before-configure')),
  );
  check(early.kind === 'not-configured', () => `before configure: ${show(early)}`);

  const typed = { instance: ctx.sim.base_url, client_id: ctx.sim.client_id };
  const secrets = { client_secret: ctx.sim.client_secret };
  const settings = [];
  const secretValues = [];
  for (const field of ctx.info.settings) {
    if (field.kind === 'secret' && field.key in secrets) {
      secretValues.push({ key: field.key, value: secrets[field.key] });
    } else if (field.key in typed) {
      settings.push({ key: field.key, value: text(typed[field.key]) });
    } else if (field.key === 'attachments') {
      // The admin turns attachments on: attach-file is refused otherwise.
      check(field.kind === 'flag', () => `attachments is a ${field.kind}`);
      settings.push({ key: field.key, value: { tag: 'flag', val: true } });
    } else if (field.kind === 'ticket-categories') {
      settings.push({
        key: field.key,
        value: {
          tag: 'ticket-categories',
          val: [
            { eventCategory: 'cost-optimization', kind: 'incident', enabled: true, template: undefined },
            { eventCategory: 'paused', kind: 'incident', enabled: false, template: undefined },
            // Opened from the standard change template the simulator starts with, by name.
            {
              eventCategory: 'vm-restart',
              kind: 'change_request',
              enabled: true,
              template: ctx.sim.standard_change_template.name,
            },
          ],
        },
      });
    } else {
      check(
        !field.required || field.authMethods.length > 0,
        `configure: required field ${field.key} has no value`,
      );
    }
  }
  ctx.settings = settings;

  // The secret left out: refused, naming it, and nothing stored.
  const missing = refused('configure without the secret', () =>
    ctx.tenant.configure(settings, []),
  );
  check(
    missing.kind === 'invalid-settings' && missing.field === 'client_secret',
    () => `configure without the secret: ${show(missing)}`,
  );
  ok('configure', () => ctx.tenant.configure(settings, secretValues));
  check(
    ctx.tenant.allowedOrigin === ctx.sim.base_url,
    `the host derived ${ctx.tenant.allowedOrigin} from the address field`,
  );
  check(ctx.tenant.requests.length === 0, 'configure used the network');
  return `${settings.length} settings and ${secretValues.length} secret by key`;
}

function checkStatuses(report) {
  return Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
}

/** Test Connection on the settings in force. */
function testConnection(ctx) {
  const report = ok('test-connection', () => ctx.tenant.testConnection(undefined));
  const statuses = checkStatuses(report);
  check(report.passed, () => `test-connection failed: ${show(report)}`);
  for (const id of ['settings', 'instance', 'token', 'table-api', 'table-access', 'attachment-api', 'change-api']) {
    check(statuses[id] === 'passed', () => `test-connection: ${id} is ${statuses[id]}`);
  }
  check(
    statuses['assignment-group'] === 'skipped',
    () => `test-connection: assignment-group is ${statuses['assignment-group']} with no group set`,
  );
  return `passed: ${report.checks.map((c) => `${c.id} ${c.status}`).join(', ')}`;
}

/** A candidate with a mistyped secret: the token check fails; the tenant is unharmed. */
function testCandidate(ctx) {
  const grants = (from) =>
    ctx.tenant.requests.slice(from).filter((r) => r.path === '/oauth_token.do').length;
  const before = ctx.tenant.requests.length;
  const report = ok('test-connection (candidate)', () =>
    ctx.tenant.testConnection({
      settings: ctx.settings,
      secrets: [{ key: 'client_secret', value: WRONG_SECRET }],
    }),
  );
  const statuses = checkStatuses(report);
  check(!report.passed, () => `a wrong candidate secret passed: ${show(report)}`);
  check(statuses.instance === 'passed', () => `candidate: instance is ${statuses.instance}`);
  check(statuses.token === 'failed', () => `candidate: token is ${statuses.token}`);
  check(
    statuses['table-api'] === 'skipped',
    () => `candidate: table-api is ${statuses['table-api']}`,
  );
  const token = report.checks.find((c) => c.id === 'token');
  check(
    token.remedy && token.guideStep,
    () => `candidate: the token failure has no remedy: ${show(token)}`,
  );
  check(grants(before) === 1, `candidate: ${grants(before)} token requests, expected 1`);

  // The settings in force still serve, with the token they had: no new grant.
  const after = ctx.tenant.requests.length;
  createOk(ctx, 'after-candidate');
  check(grants(after) === 0, 'the ticket after the candidate test asked for a new token');
  return `not passed, token failed ("${token.label}"); the tenant still creates tickets`;
}

/**
 * A candidate on another instance with no secret given: the one in force is used there, the
 * host lets the tenant reach that instance for the test only, and tickets stay where they were.
 */
async function testCandidateElsewhere(ctx) {
  const other = await startSimulator();
  try {
    check(
      other.sim.client_id === ctx.sim.client_id && other.sim.client_secret === ctx.sim.client_secret,
      'the second simulator has other credentials',
    );
    const settings = ctx.settings.map((s) =>
      s.key === 'instance' ? { ...s, value: text(other.sim.base_url) } : s,
    );
    const before = ctx.tenant.requests.length;
    const report = ok('test-connection (candidate elsewhere)', () =>
      ctx.tenant.testConnection({ settings, secrets: [] }),
    );
    check(report.passed, () => `the candidate on another instance failed: ${show(report)}`);
    const there = ctx.tenant.requests.slice(before);
    check(
      there.length > 0 && there.every((r) => r.origin === other.sim.base_url),
      () => `the candidate's test went to ${show(there)}`,
    );
    check(
      ctx.tenant.allowedOrigin === ctx.sim.base_url,
      `after the test the tenant may reach ${ctx.tenant.allowedOrigin}`,
    );
    const after = ctx.tenant.requests.length;
    createOk(ctx, 'after-candidate-elsewhere');
    check(
      ctx.tenant.requests.slice(after).every((r) => r.origin === ctx.sim.base_url),
      'the ticket after the test went elsewhere',
    );
    return `passed on ${other.sim.base_url} with the secret in force; tickets still go to ${ctx.sim.base_url}`;
  } finally {
    await other.stop();
  }
}

function ticket(correlationId) {
  return {
    eventCategory: 'cost-optimization',
    title: `Idle VM i-0abc (${correlationId})`,
    description: 'i-0abc has been idle for 14 days',
    priority: 'high',
    assignmentGroup: undefined,
    correlationId,
    extraFields: [],
    resource: undefined,
    affectedResources: [],
  };
}

function createOk(ctx, correlationId) {
  const outcome = ok(`create-ticket ${correlationId}`, () =>
    ctx.provider.createTicket(ticket(correlationId)),
  );
  check(outcome.tag === 'created', () => `create-ticket ${correlationId}: ${show(outcome)}`);
  const { ticket: record, notApplied } = outcome.val;
  check(record.kind === 'incident', `create-ticket: kind ${record.kind}`);
  check(/^INC\d{7}$/.test(record.displayId), `create-ticket: display id ${record.displayId}`);
  check(/^[0-9a-f]{32}$/.test(record.id), `create-ticket: id ${record.id}`);
  check(record.link.startsWith(ctx.sim.base_url), `create-ticket: link ${record.link}`);
  check(notApplied.length === 0, `create-ticket: not applied ${show(notApplied)}`);
  return record;
}

/** A ticket for an event; a disabled category opens none; the same event finds it again. */
function createTicket(ctx) {
  const record = createOk(ctx, 'opp-42');
  const again = ok('create-ticket again', () => ctx.provider.createTicket(ticket('opp-42')));
  check(
    again.tag === 'existing' && again.val.id === record.id,
    () => `the same correlation id again: ${show(again)}`,
  );
  const skipped = ok('create-ticket paused', () =>
    ctx.provider.createTicket({ ...ticket('opp-43'), eventCategory: 'paused' }),
  );
  check(skipped.tag === 'skipped', () => `a disabled category: ${show(skipped)}`);
  ctx.created = record;
  return `created ${record.kind} ${record.displayId}; the same event found it; a disabled category skipped`;
}

/** A category with a template opens a standard change through the Change Management API. */
function standardChange(ctx) {
  const template = ctx.sim.standard_change_template;
  const before = ctx.tenant.requests.length;
  const outcome = ok('create-ticket from a template', () =>
    ctx.provider.createTicket({ ...ticket('vm-restart-1'), eventCategory: 'vm-restart' }),
  );
  check(outcome.tag === 'created', () => `create-ticket from a template: ${show(outcome)}`);
  const { ticket: record, notApplied } = outcome.val;
  check(record.kind === 'change_request', `standard change: kind ${record.kind}`);
  check(/^CHG\d{7}$/.test(record.displayId), `standard change: display id ${record.displayId}`);
  check(notApplied.length === 0, () => `standard change: not applied ${show(notApplied)}`);
  const paths = ctx.tenant.requests.slice(before).map((r) => `${r.method} ${r.path}`);
  const posted = `POST /api/sn_chg_rest/change/standard/${template.sys_id}`;
  check(
    paths.some((p) => p.startsWith('GET /api/sn_chg_rest/change/standard/template')) &&
      paths.some((p) => p.startsWith(posted)),
    () => `standard change: the requests were ${show(paths)}`,
  );
  const details = ok('get-ticket of the standard change', () =>
    ctx.provider.getTicket({ kind: 'change_request', id: record.displayId }),
  );
  check(details.title === 'Idle VM i-0abc (vm-restart-1)', `standard change: title ${details.title}`);

  // A template the instance does not offer: refused, naming the categories setting.
  const missing = ctx.settings.map((s) =>
    s.key !== 'ticket_categories'
      ? s
      : {
          key: s.key,
          value: {
            tag: s.value.tag,
            val: s.value.val.map((row) =>
              row.template === undefined ? row : { ...row, template: 'No such template' },
            ),
          },
        },
  );
  const secrets = [{ key: 'client_secret', value: ctx.sim.client_secret }];
  ok('configure (a missing template)', () => ctx.tenant.configure(missing, secrets));
  try {
    const error = refused('create-ticket from a missing template', () =>
      ctx.provider.createTicket({ ...ticket('vm-restart-2'), eventCategory: 'vm-restart' }),
    );
    check(
      error.kind === 'not-found' && error.field === 'ticket_categories' && error.remedy !== undefined,
      () => `a missing template: ${show(error)}`,
    );
  } finally {
    ok('configure (the template back)', () => ctx.tenant.configure(ctx.settings, secrets));
  }
  return `${record.displayId} from the template "${template.name}"; a missing template is not-found`;
}

/** The ticket as it stands, by its display id and by its id. */
function getTicket(ctx) {
  const record = ctx.created;
  const byNumber = ok('get-ticket', () =>
    ctx.provider.getTicket({ kind: 'incident', id: record.displayId }),
  );
  const byId = ok('get-ticket by id', () => ctx.provider.getTicket({ kind: 'incident', id: record.id }));
  check(isDeepStrictEqual(byNumber, byId), () => `by number and by id differ: ${show([byNumber, byId])}`);
  check(isDeepStrictEqual(byNumber.ticket, record), () => `get-ticket: ${show(byNumber.ticket)}`);
  check(byNumber.title === 'Idle VM i-0abc (opp-42)', `get-ticket: title ${byNumber.title}`);
  check(byNumber.correlationId === 'opp-42', `get-ticket: correlation id ${byNumber.correlationId}`);
  check(byNumber.priority === 'high', `get-ticket: priority ${byNumber.priority}`);
  check(!byNumber.status.done, () => `get-ticket: a new ticket is done: ${show(byNumber.status)}`);
  const missing = refused('get-ticket of no ticket', () =>
    ctx.provider.getTicket({ kind: 'incident', id: 'INC9999999' }),
  );
  check(missing.kind === 'not-found', () => `get-ticket of no ticket: ${show(missing)}`);
  return `${record.displayId}: "${byNumber.status.label}", priority ${byNumber.priority}`;
}

/** What the host saw: only its own origin, and no secret or token in anything it was told. */
function nothingLeaked(ctx) {
  const { log, requests, tokens } = ctx.tenant;
  const strays = requests.filter((r) => !r.allowed);
  check(strays.length === 0, () => `requests outside the tenant's origins: ${show(strays)}`);
  check(log.some((e) => e.exchange), 'the component reported no exchange to the log import');
  check(tokens.size > 0, 'no request carried a bearer token');
  const told = [...log.map(show), ...answers.map(show)];
  const secrets = [ctx.sim.client_secret, WRONG_SECRET, ...tokens];
  for (const secret of secrets) {
    const where = told.find((t) => t.includes(secret));
    check(!where, () => `a secret or token was in: ${where}`);
  }
  return `${requests.length} requests, ${log.length} log entries, ${answers.length} answers: no secret, no token`;
}

/** Polling: a fresh cursor starts from now; a ticket opened after it is a change, once the
 * instance's clock (its answers' Date) is a second past the second it was written in; a
 * garbage cursor is the component's error, not a crash. */
async function changesSince(ctx) {
  const fresh = ok('changes-since (no cursor)', () => ctx.provider.changesSince(undefined));
  check(fresh.changes.length === 0, () => `a fresh cursor is not now: ${show(fresh)}`);
  check(fresh.cursor.length > 0 && !fresh.more, () => `a fresh page: ${show(fresh)}`);
  const record = createOk(ctx, 'opp-77');
  // The simulator's clock runs in real time here (the integration tests freeze it).
  await new Promise((settled) => setTimeout(settled, 2100));
  const page = ok('changes-since', () => ctx.provider.changesSince(fresh.cursor));
  const change = page.changes.find((c) => c.ticket.id === record.id);
  check(change, () => `the new ticket is not among the changes: ${show(page)}`);
  check(!change.status.done, () => `a new ticket is done: ${show(change.status)}`);
  check(page.cursor !== fresh.cursor, 'the cursor did not move');
  const again = ok('changes-since again', () => ctx.provider.changesSince(page.cursor));
  check(!again.changes.some((c) => c.ticket.id === record.id), () => `repeated: ${show(again)}`);
  const garbage = refused('changes-since (garbage)', () => ctx.provider.changesSince('not a cursor'));
  check(garbage.kind === 'invalid-cursor', () => `a garbage cursor: ${show(garbage)}`);
  return `fresh cursor empty; ${record.displayId} seen once; a garbage cursor is invalid-cursor`;
}

/** The platform's evidence, attached to the ticket. */
function attachFile(ctx) {
  const content = new TextEncoder().encode('resource,monthly_cost\ni-0abc,412\n');
  const attachment = ok('attach-file', () =>
    ctx.provider.attachFile(
      { kind: 'incident', id: ctx.created.displayId },
      'idle-vm.csv',
      'text/csv',
      content,
    ),
  );
  check(attachment.fileName === 'idle-vm.csv', () => `attach-file: ${show(attachment)}`);
  check(BigInt(attachment.sizeBytes) === BigInt(content.length), () => `size: ${show(attachment)}`);
  const bad = refused('attach-file with a path', () =>
    ctx.provider.attachFile(
      { kind: 'incident', id: ctx.created.displayId },
      '../etc/passwd',
      'text/plain',
      content,
    ),
  );
  check(bad.kind === 'invalid-ticket', () => `a path as a file name: ${show(bad)}`);
  return `${attachment.fileName} (${attachment.sizeBytes} bytes) on ${ctx.created.displayId}; a path refused`;
}

/** Writes through an import set: the simulator the script starts has the staging table
 * u_cxm_incident_import with a transform map (host-harness simulator seeds it). */
function importSet(ctx) {
  const settings = [
    ...ctx.settings,
    { key: 'write_path', value: text('import_set') },
    { key: 'import_set_tables', value: { tag: 'text-list', val: ['incident=u_cxm_incident_import'] } },
  ];
  const secrets = [{ key: 'client_secret', value: ctx.sim.client_secret }];
  ok('configure (import set)', () => ctx.tenant.configure(settings, secrets));
  try {
    const before = ctx.tenant.requests.length;
    const record = createOk(ctx, 'opp-import');
    const sent = ctx.tenant.requests.slice(before);
    const posts = sent.filter((r) => r.method === 'POST');
    check(
      posts.length === 1 && posts[0].path === '/api/now/import/u_cxm_incident_import',
      () => `create-ticket through the import set posted: ${show(posts)}`,
    );
    const report = ok('test-connection (import set)', () => ctx.tenant.testConnection(undefined));
    const statuses = checkStatuses(report);
    check(statuses['import-set'] === 'passed', () => `import-set check: ${show(report)}`);

    // A staging table the instance does not have: refused, naming the setting.
    const unknown = settings.map((s) =>
      s.key === 'import_set_tables'
        ? { key: s.key, value: { tag: 'text-list', val: ['incident=u_no_such_import'] } }
        : s,
    );
    ok('configure (an unknown staging table)', () => ctx.tenant.configure(unknown, secrets));
    const error = refused('create-ticket through an unknown staging table', () =>
      ctx.provider.createTicket(ticket('opp-import-2')),
    );
    check(
      error.kind === 'bad-request' && error.field === 'import_set_tables',
      () => `an unknown staging table: ${show(error)}`,
    );

    // A transform that refuses the row answers 201 all the same: the row's status decides.
    const refusing = settings.map((s) =>
      s.key === 'import_set_tables'
        ? { key: s.key, value: { tag: 'text-list', val: ['incident=u_cxm_refusing_import'] } }
        : s,
    );
    ok('configure (a refusing transform)', () => ctx.tenant.configure(refusing, secrets));
    const refusal = refused('create-ticket through a refusing transform', () =>
      ctx.provider.createTicket(ticket('opp-import-3')),
    );
    check(
      refusal.kind === 'rejected-by-policy' && refusal.message.includes('Business service is mandatory'),
      () => `a refusing transform: ${show(refusal)}`,
    );
    return `${record.displayId} written through u_cxm_incident_import; the import-set check passed; an unknown staging table is bad-request; a transform's refusal is rejected-by-policy with its message`;
  } finally {
    ok('configure (back to the Table API)', () => ctx.tenant.configure(ctx.settings, secrets));
  }
}

/** With link_configuration_items on: the resource's CI (seeded by the simulator) linked and
 * named; an affected resource the CMDB does not hold reported in not-applied; the cmdb check. */
function linkConfigurationItem(ctx) {
  const flag = { key: 'link_configuration_items', value: { tag: 'flag', val: true } };
  const secrets = [{ key: 'client_secret', value: ctx.sim.client_secret }];
  ok('configure (link configuration items)', () =>
    ctx.tenant.configure([...ctx.settings, flag], secrets),
  );
  const resource = (resourceId, displayName) => ({
    provider: 'aws', account: '', region: '', resourceId, displayName,
  });
  const outcome = ok('create-ticket with a resource', () =>
    ctx.provider.createTicket({
      ...ticket('cmdb-1'),
      resource: resource('i-0abc', 'web-01'),
      affectedResources: [resource('i-0gone', '')],
    }),
  );
  check(outcome.tag === 'created', () => `create-ticket with a resource: ${show(outcome)}`);
  const { configurationItem, notApplied } = outcome.val;
  const ci = ctx.sim.cloud_cis['web-01'];
  check(
    configurationItem?.id === ci && configurationItem?.name === 'web-01',
    () => `configuration item: ${show(configurationItem)}, seeded ${ci}`,
  );
  check(
    notApplied.length === 1 && notApplied[0].field === 'task_ci' && notApplied[0].reason.includes('i-0gone'),
    () => `not applied: ${show(notApplied)}`,
  );
  const report = ok('test-connection (cmdb)', () => ctx.tenant.testConnection(undefined));
  const cmdb = report.checks.find((c) => c.id === 'cmdb');
  check(cmdb?.status === 'passed', () => `test-connection: cmdb ${show(cmdb)}`);
  ok('configure (back)', () => ctx.tenant.configure(ctx.settings, secrets));
  return `${outcome.val.ticket.displayId} linked to ${configurationItem.name}; i-0gone not applied; cmdb ${cmdb.status}`;
}

/**
 * What the instance hands over when it hibernates (its token), and what it makes of bytes it
 * did not make, or made for other settings: nothing, never a trap.
 */
function hibernateResume(ctx) {
  const carried = ctx.provider.hibernate();
  check(
    carried instanceof Uint8Array && carried.length > 0,
    () => `hibernate with a token cached gave ${show(carried)}`,
  );
  const foreign = [
    new Uint8Array(),
    Uint8Array.from([1, 2, 3]),
    Uint8Array.from(carried, (b, i) => (i === 1 ? b ^ 1 : b)),
    carried.slice(0, carried.length - 1).fill(0x0a, 21),
    new Uint8Array(4096).fill(0xff),
  ];
  for (const bytes of foreign) ctx.provider.resume(bytes);
  ctx.provider.resume(carried);
  const before = ctx.tenant.requests.length;
  createOk(ctx, 'opp-after-resume');
  const tokens = ctx.tenant.requests
    .slice(before)
    .filter((r) => r.path === '/oauth_token.do').length;
  check(tokens === 0, `a create after resume made ${tokens} token requests`);
  return `${carried.length} bytes carried; ${foreign.length} foreign ones ignored`;
}

const WRONG_SECRET = 'rotated-but-wrong-5e1f';

// The order matters: each step may use what the ones before it set on the context.
const steps = [
  ['describe', describe],
  ['describe, as under wasmtime', describeAsUnderWasmtime],
  ['validate-field', validateField],
  ['configure', configure],
  ['test-connection', testConnection],
  ['test-connection (candidate)', testCandidate],
  ['test-connection (candidate elsewhere)', testCandidateElsewhere],
  ['create-ticket', createTicket],
  ['get-ticket', getTicket],
  ['hibernate and resume', hibernateResume],
  ['create-ticket from a template', standardChange],
  ['changes-since', changesSince],
  ['attach-file', attachFile],
  ['import set', importSet],
  ['configuration item', linkConfigurationItem],
  ['log and secrets', nothingLeaked],
];

// ---- the run -----------------------------------------------------------------------------

function transpile() {
  check(
    existsSync(component),
    `no component at ${component}: build it with cargo build -p component-artifact`,
  );
  rmSync(outDir, { recursive: true, force: true });
  const jco = join(here, 'node_modules/@bytecodealliance/jco/dist/jco.js');
  check(existsSync(jco), `jco is not installed: run npm ci in ${here}`);
  const run = spawnSync(
    process.execPath,
    [jco, 'transpile', component, '-o', outDir, '--name', name, '--instantiation', 'async',
      '--no-typescript', '--quiet'],
    { stdio: 'inherit' },
  );
  check(run.status === 0, `jco transpile exited with ${run.status}`);
}

/** A simulator of its own (HTTPS as `tls` when given), stopped by `stop()` or when this
 * process ends. */
async function startSimulator(tls) {
  const [command, ...args] = hostHarness;
  const over = tls ? ['--tls', tls] : [];
  // Its stdin is ours: it stops when this process ends, however it ends.
  const child = spawn(
    command,
    [...args, 'simulator', '--port', '0', '--json', '--until-stdin-closes', ...over,
      '--seed-cloud-ci', 'web-01=i-0abc'],
    { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise((done) => {
    child.once('exit', (code, signal) => done(signal ?? code));
    child.once('error', (error) => done(`${command}: ${error.message}`));
  });
  const line = await Promise.race([
    new Promise((done) => createInterface({ input: child.stdout }).once('line', done)),
    exited.then((status) => {
      throw new Mismatch(`the simulator exited (${status}) before it listened`);
    }),
  ]);
  const sim = JSON.parse(line);
  const stop = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { sim, stop };
}

/** Starts the HTTPS simulator and runs the steps in a Node that trusts its CA. */
async function overTls() {
  const t = performance.now();
  const { sim, stop } = await startSimulator('127.0.0.1');
  const dir = mkdtempSync(join(tmpdir(), 'jco-ca-'));
  try {
    const ca = join(dir, 'simulator-ca.pem');
    writeFileSync(ca, sim.ca_pem);
    console.log(`simulator at ${sim.base_url} (its test CA trusted by the Node that runs the steps): ${Math.round(performance.now() - t)} ms`);
    const run = spawnSync(process.execPath, process.argv.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, NODE_EXTRA_CA_CERTS: ca, JCO_SIMULATOR: JSON.stringify(sim) },
    });
    return run.status ?? 1;
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (!process.env.JCO_SIMULATOR) {
    process.exit(await overTls());
  }
  const started = performance.now();
  const ms = (since) => `${Math.round(performance.now() - since)} ms`;

  let t = performance.now();
  transpile();
  console.log(`jco transpile ${component}: ${ms(t)}`);

  const sim = JSON.parse(process.env.JCO_SIMULATOR);
  const stop = async () => {};
  check(sim.base_url.startsWith('https://'), `the simulator is not on HTTPS: ${sim.base_url}`);
  let failed = null;
  try {
    t = performance.now();
    const tenant = await startTenant(outDir, name);
    console.log(`instantiated under Node ${process.version}: ${ms(t)}`);
    const ctx = { sim, tenant, provider: tenant.provider };
    for (const [title, step] of steps) {
      t = performance.now();
      try {
        const summary = await step(ctx);
        console.log(`ok   ${title}: ${summary} (${ms(t)})`);
      } catch (error) {
        console.log(`FAIL ${title}`);
        failed = error instanceof Mismatch ? error : Object.assign(error, { step: title });
        break;
      }
    }
  } finally {
    await stop();
  }
  if (failed) throw failed;
  console.log(`jco host: all ${steps.length} steps passed in ${ms(started)}`);
}

main().catch((error) => {
  if (error instanceof Mismatch) console.error(`jco host: ${error.message}`);
  else console.error(`jco host: ${error.step ? `${error.step} threw` : 'failed'}:`, error);
  process.exit(1);
});
