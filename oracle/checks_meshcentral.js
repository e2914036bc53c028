// Checks MeshCentral's Intel AMT stack against one simulated device: what MeshCentral's AMT manager reads and does on
// a direct connection (initial contact, settings, power, hardware inventory, logs, CIRA set-up), each step judged
// here. Reads the target as JSON on stdin; writes one JSON line per check: {"check", "ok", "detail"}.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const tls = require('tls');
const { connect, sha256Hex } = require('./meshcentral_stack');

const CALL_TIMEOUT_MS = 30000;
const POWER_POLLS = 20;
const POWER_POLL_INTERVAL_MS = 100;
const PIN_POLLS = 100;
const PIN_POLL_INTERVAL_MS = 50;
const ON = 2;
const OFF_SOFT = 8;
const RESET = 10;
const CIRA_BOTH_ENABLED = 32771;
// The CIRA set-up MeshCentral makes: an MPS addressed by name (InfoFormat 201), password authentication (2), and a
// periodic trigger (timer type 0, every 10 s, as two big-endian 32-bit integers, base64).
const MPS = { name: 'mps.oracle.example', port: 4433, infoFormat: 201, authMethod: 2, user: 'oracle' };
const PERIODIC_TRIGGER = 2;
const PERIODIC_EVERY_10_S = Buffer.from([0, 0, 0, 0, 0, 0, 0, 10]).toString('base64');
const HARDWARE_CLASSES = ['*CIM_ComputerSystemPackage', 'CIM_SystemPackaging', '*CIM_Chassis', 'CIM_Chip', '*CIM_Card',
  '*CIM_BIOSElement', 'CIM_Processor', 'CIM_PhysicalMemory', 'CIM_MediaAccessDevice', 'CIM_PhysicalPackage'];
const CIRA_CLASSES = ['*AMT_EnvironmentDetectionSettingData', 'AMT_ManagementPresenceRemoteSAP',
  'AMT_RemoteAccessCredentialContext', 'AMT_RemoteAccessPolicyAppliesToMPS', 'AMT_RemoteAccessPolicyRule',
  '*AMT_UserInitiatedConnectionService', 'AMT_MPSUsernamePassword'];
const CIRA_PROXY_CLASSES = ['*IPS_HTTPProxyService', 'IPS_HTTPProxyAccessPoint'];

class CheckFailed extends Error {}

function expect(condition, detail) {
  if (!condition) throw new CheckFailed(detail);
}

function withTimeout(start) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CheckFailed(`no answer in ${CALL_TIMEOUT_MS / 1000} s`)), CALL_TIMEOUT_MS);
    start((value) => { clearTimeout(timer); resolve(value); });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Promise forms of the stack's callback API.
const batchEnum = (stack, names) => withTimeout((done) => stack.BatchEnum('', names,
  (_stack, _name, responses, status) => done({ responses, status }), null, true));
const get = (stack, name) => withTimeout((done) => stack.Get(name,
  (_stack, _name, response, status) => done({ response, status })));
const exec = (stack, method, ...args) => withTimeout((done) => stack[method](...args,
  (_stack, _name, response, status) => done({ response, status })));
const remove = (stack, name, selectors) => withTimeout((done) => stack.Delete(name, selectors,
  (_stack, _name, response, status) => done({ response, status })));
const auditLog = (stack) => withTimeout((done) => stack.GetAuditLog((_stack, records, status) => done({ records, status })));
const messageLog = (stack) => withTimeout((done) => stack.GetMessageLog(
  (_stack, messages, _tag, status) => done({ messages, status })));

function bare(name) { return name.replace(/^\*/, ''); }

// Why a call answered `status`: the fault or socket error the stack saw for that class.
function cause(stack, name, status) {
  const comm = stack.wsman.comm;
  const fault = comm.faults[bare(name)];
  const socket = status === 408 && comm.lastSocketError ? ` (socket: ${comm.lastSocketError})` : '';
  return `status ${status}${fault ? ` (${fault})` : ''}${socket}`;
}

function why(stack, name, status) { return `${bare(name)}: ${cause(stack, name, status)}`; }

// Failed classes grouped by cause: "A, B: status 400 (HTTP 400 b:DestinationUnreachable)".
function failedClasses(stack, responses, names, tolerated = []) {
  const causes = new Map();
  for (const name of names.filter((candidate) => !tolerated.includes(candidate))) {
    const entry = responses[bare(name)];
    if (entry && entry.status === 200) continue;
    const reason = entry ? cause(stack, name, entry.status) : 'not reached (the batch stopped at an earlier failure)';
    causes.set(reason, (causes.get(reason) || []).concat(bare(name)));
  }
  return [...causes].map(([reason, classes]) => `${classes.join(', ')}: ${reason}`);
}

async function readBatch(stack, names, tolerated = []) {
  const { responses, status } = await batchEnum(stack, names);
  const failures = failedClasses(stack, responses || {}, names, tolerated);
  expect(failures.length === 0, failures.join('; ') || `batch status ${status}`);
  return responses;
}

function returnValue(result, stack, name) {
  expect(result.status === 200, why(stack, name, result.status));
  const value = result.response && result.response.Body && result.response.Body.ReturnValue;
  expect(value === 0, `${name} ReturnValue ${value} (${result.response && result.response.Body && result.response.Body.ReturnValueStr})`);
  return result.response.Body;
}

function asList(value) {
  if (value == null) return [];
  return Array.isArray(value) ? value : [value];
}

function selectorValue(reference, name) {
  const selectors = asList(reference && reference.ReferenceParameters && reference.ReferenceParameters.SelectorSet
    && reference.ReferenceParameters.SelectorSet.Selector);
  const found = selectors.find((selector) => selector['@Name'] === name);
  return found && found.Value;
}

async function powerState(stack) {
  const responses = await readBatch(stack, ['CIM_ServiceAvailableToElement']);
  const items = responses.CIM_ServiceAvailableToElement.responses || [];
  expect(items.length >= 1, 'CIM_ServiceAvailableToElement enumerated no instance');
  return items[0].PowerState;
}

async function changePower(stack, requested, settled) {
  returnValue(await exec(stack, 'RequestPowerStateChange', requested), stack, 'CIM_PowerManagementService');
  let state;
  for (let poll = 0; poll < POWER_POLLS; poll++) {
    state = await powerState(stack);
    if (state === settled) return `RequestPowerStateChange(${requested}) returned 0, PowerState ${state}`;
    await sleep(POWER_POLL_INTERVAL_MS);
  }
  throw new CheckFailed(`RequestPowerStateChange(${requested}) returned 0 but PowerState stayed ${state}, expected ${settled}`);
}

// MeshCentral's TLS client options (amt-wsman-comm.js, direct connection): RSA key exchange with AES, TLS 1.0 and up.
const MESHCENTRAL_TLS = { ciphers: 'RSA+AES:!aNULL:!MD5:!DSS', minVersion: 'TLSv1' };

// A handshake with what MeshCentral offers, the chain and address checked against the simulator CA by node itself.
function handshake(target) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: target.host, port: target.port, ca: [fs.readFileSync(target.ca_path)],
      ...MESHCENTRAL_TLS }, () => {
      const leaf = socket.getPeerCertificate();
      const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name, pin: sha256Hex(leaf.raw) };
      socket.end();
      resolve(result);
    });
    socket.setTimeout(CALL_TIMEOUT_MS, () => socket.destroy(new CheckFailed('TLS handshake timed out')));
    socket.on('error', (error) => reject(new CheckFailed(`TLS handshake failed offering what MeshCentral offers (TLS 1.0 and up, `
      + `ciphers ${MESHCENTRAL_TLS.ciphers}: RSA key exchange only): ${error.code || ''} ${error.message}`)));
  });
}

function checks(target) {
  const connection = { host: target.host, port: target.port, tls: target.tls, username: target.username, password: target.password };
  const majorVersion = parseInt(target.firmware.split('.')[0], 10);
  let stack = connect(connection);
  const cira = {};
  const list = [];

  if (target.tls) {
    list.push(['tls-handshake', async () => {
      const { protocol, cipher, pin } = await handshake(target);
      stack = connect({ ...connection, pinSha256: pin });
      return `${protocol} ${cipher}, certificate verified against the simulator CA`;
    }]);
  }
  list.push(
    ['initial-contact', async () => {
      const responses = await readBatch(stack, ['*AMT_GeneralSettings', '*IPS_HostBasedSetupService']);
      const realm = responses.AMT_GeneralSettings.response.DigestRealm;
      expect(realm === stack.wsman.comm.digestRealm,
        `GeneralSettings DigestRealm ${realm} differs from the digest challenge's ${stack.wsman.comm.digestRealm}`);
      const mode = responses.IPS_HostBasedSetupService.response.CurrentControlMode;
      const wanted = { ccm: 1, acm: 2 }[target.control_mode];
      expect(mode === wanted, `CurrentControlMode ${mode}, expected ${wanted} (${target.control_mode})`);
      return `realm matches the challenge, CurrentControlMode ${mode}`;
    }],
    ['version-header', async () => {
      expect(stack.wsman.comm.amtVersion === target.firmware,
        `Server header gives version ${stack.wsman.comm.amtVersion}, expected ${target.firmware}`);
      return `Server header version ${stack.wsman.comm.amtVersion}`;
    }],
  );
  if (target.tls) {
    list.push(['tls-pin', async () => {
      expect(stack.wsman.comm.xtlsCheck === 2, `xtlsCheck ${stack.wsman.comm.xtlsCheck}, expected 2 (pinned certificate matched)`);
      // A pin mismatch cancels the connection without answering the pending call (FailAllError 998).
      const wrong = connect({ ...connection, pinSha256: sha256Hex(Buffer.from('not the device certificate')) });
      let answered = null;
      wrong.BatchEnum('', ['*AMT_GeneralSettings'], (_stack, _name, _responses, status) => { answered = status; });
      for (let poll = 0; poll < PIN_POLLS && wrong.wsman.comm.FailAllError !== 998 && answered === null; poll++) await sleep(PIN_POLL_INTERVAL_MS);
      expect(wrong.wsman.comm.FailAllError === 998 && answered === null,
        `a wrong SHA-256 pin gave FailAllError ${wrong.wsman.comm.FailAllError}, answer ${answered}; expected 998 and no answer`);
      return 'SHA-256 pin of the verified certificate accepted, a wrong pin refused (998)';
    }]);
  }
  list.push(
    ['settings-sync', async () => {
      const responses = await readBatch(stack, ['*AMT_GeneralSettings', '*AMT_RedirectionService', '*CIM_KVMRedirectionSAP', '*IPS_OptInService']);
      const redirection = responses.AMT_RedirectionService.response;
      expect(typeof redirection.EnabledState === 'number' && typeof redirection.ListenerEnabled === 'boolean',
        `AMT_RedirectionService EnabledState ${redirection.EnabledState}, ListenerEnabled ${redirection.ListenerEnabled}`);
      const optIn = responses.IPS_OptInService.response.OptInRequired;
      expect(typeof optIn === 'number', `IPS_OptInService OptInRequired ${optIn}`);
      return `redirection EnabledState ${redirection.EnabledState}, OptInRequired ${optIn}`;
    }],
    ['power-state', async () => {
      const state = await powerState(stack);
      expect(state === ON, `PowerState ${state}, expected ${ON} (on)`);
      if (majorVersion > 9) {
        const { response, status } = await get(stack, 'IPS_PowerManagementService');
        expect(status === 200, why(stack, 'IPS_PowerManagementService', status));
        expect(typeof response.Body.OSPowerSavingState === 'number', `OSPowerSavingState ${response.Body.OSPowerSavingState}`);
        return `PowerState ${state}, OSPowerSavingState ${response.Body.OSPowerSavingState}`;
      }
      return `PowerState ${state}`;
    }],
    ['power-off', () => changePower(stack, OFF_SOFT, OFF_SOFT)],
    ['power-on', () => changePower(stack, ON, ON)],
    ['power-reset', () => changePower(stack, RESET, ON)],
    ['hardware-inventory', async () => {
      const responses = await readBatch(stack, HARDWARE_CLASSES);
      const guid = responses.CIM_ComputerSystemPackage.response.PlatformGUID;
      expect(typeof guid === 'string' && guid.length === 32, `PlatformGUID ${guid}`);
      const bios = responses.CIM_BIOSElement.response;
      expect(bios.Version && bios.Manufacturer && bios.ReleaseDate, 'CIM_BIOSElement lacks Version, Manufacturer or ReleaseDate');
      const card = responses.CIM_Card.response;
      expect(card.Manufacturer && card.Model, 'CIM_Card lacks Manufacturer or Model');
      const counts = ['CIM_Processor', 'CIM_PhysicalMemory', 'CIM_Chip', 'CIM_MediaAccessDevice', 'CIM_PhysicalPackage']
        .map((name) => [name, asList(responses[name].responses).length]);
      const empty = counts.filter(([name, count]) => count === 0 && name !== 'CIM_MediaAccessDevice').map(([name]) => name);
      expect(empty.length === 0, `no instance of ${empty.join(', ')}`);
      return counts.map(([name, count]) => `${count} ${name}`).join(', ');
    }],
    ['network', async () => {
      const responses = await readBatch(stack, ['AMT_EthernetPortSettings']);
      const ports = asList(responses.AMT_EthernetPortSettings.responses)
        .filter((port) => port.MACAddress && port.MACAddress !== '00-00-00-00-00-00');
      expect(ports.length >= 1, 'no AMT_EthernetPortSettings with a MAC address');
      return `${ports.length} interface(s) with a MAC address`;
    }],
    ['audit-log', async () => {
      const { records, status } = await auditLog(stack);
      expect(status === 200, why(stack, 'AMT_AuditLog', status));
      const unknown = records.filter((record) => !record.AuditApp || /^#/.test(record.Event));
      expect(unknown.length === 0, `${unknown.length} of ${records.length} records with an unknown application or event, e.g. `
        + (unknown[0] ? `app ${unknown[0].AuditAppID} event ${unknown[0].EventID}` : ''));
      const undated = records.filter((record) => isNaN(record.Time.getTime()));
      expect(undated.length === 0, `${undated.length} records without a valid time`);
      return `${records.length} records decoded`;
    }],
    ['event-log', async () => {
      const { messages, status } = await messageLog(stack);
      expect(status === 200 && messages != null, why(stack, 'AMT_MessageLog', status));
      return `${messages.length} event records decoded`;
    }],
    ['cira-read', async () => {
      const names = majorVersion > 11 ? CIRA_CLASSES.concat(CIRA_PROXY_CLASSES) : CIRA_CLASSES;
      const responses = await readBatch(stack, names, CIRA_PROXY_CLASSES);
      const uic = responses.AMT_UserInitiatedConnectionService.response;
      expect(uic != null && typeof uic.EnabledState === 'number', 'AMT_UserInitiatedConnectionService has no EnabledState (CIRA unsupported)');
      const detection = responses.AMT_EnvironmentDetectionSettingData.response;
      expect(detection != null, 'AMT_EnvironmentDetectionSettingData has no instance');
      cira.serversBefore = asList(responses.AMT_ManagementPresenceRemoteSAP.responses).length;
      return `UserInitiatedConnectionService EnabledState ${uic.EnabledState}, ${cira.serversBefore} MPS server(s)`;
    }],
    ['cira-user-initiated', async () => {
      returnValue(await exec(stack, 'AMT_UserInitiatedConnectionService_RequestStateChange', CIRA_BOTH_ENABLED, null),
        stack, 'AMT_UserInitiatedConnectionService');
      const { response, status } = await get(stack, 'AMT_UserInitiatedConnectionService');
      expect(status === 200, why(stack, 'AMT_UserInitiatedConnectionService', status));
      expect(response.Body.EnabledState === CIRA_BOTH_ENABLED, `EnabledState ${response.Body.EnabledState} after RequestStateChange(${CIRA_BOTH_ENABLED})`);
      return `EnabledState ${CIRA_BOTH_ENABLED} (BIOS and OS initiated)`;
    }],
    ['cira-add-mps', async () => {
      const password = crypto.randomBytes(12).toString('base64');
      const body = returnValue(await exec(stack, 'AMT_RemoteAccessService_AddMpServer', MPS.name, MPS.infoFormat, MPS.port,
        MPS.authMethod, null, MPS.user, password, MPS.name), stack, 'AMT_RemoteAccessService');
      cira.server = selectorValue(body.MpServer, 'Name');
      expect(cira.server, 'AddMpServer answered without an MpServer reference naming the server');
      return `MPS server ${cira.server} created`;
    }],
    ['cira-add-policy', async () => {
      expect(cira.server, 'no MPS server to attach a policy to (cira-add-mps failed)');
      const server = '<Address xmlns="http://schemas.xmlsoap.org/ws/2004/08/addressing">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</Address>'
        + '<ReferenceParameters xmlns="http://schemas.xmlsoap.org/ws/2004/08/addressing"><ResourceURI xmlns="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">'
        + 'http://intel.com/wbem/wscim/1/amt-schema/1/AMT_ManagementPresenceRemoteSAP</ResourceURI><SelectorSet xmlns="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">'
        + `<Selector Name="Name">${cira.server}</Selector></SelectorSet></ReferenceParameters>`;
      returnValue(await exec(stack, 'AMT_RemoteAccessService_AddRemoteAccessPolicyRule', PERIODIC_TRIGGER, 0,
        PERIODIC_EVERY_10_S, [server], []), stack, 'AMT_RemoteAccessService');
      return 'periodic policy created';
    }],
    ['cira-read-back', async () => {
      expect(cira.server, 'nothing was created (cira-add-mps failed)');
      const responses = await readBatch(stack, CIRA_CLASSES);
      const servers = asList(responses.AMT_ManagementPresenceRemoteSAP.responses);
      const ours = servers.find((server) => server.Name === cira.server);
      expect(ours && ours.AccessInfo === MPS.name && ours.Port === MPS.port && ours.InfoFormat === MPS.infoFormat,
        `AMT_ManagementPresenceRemoteSAP ${cira.server} not listed with AccessInfo ${MPS.name}, Port ${MPS.port}, InfoFormat ${MPS.infoFormat}`);
      const links = asList(responses.AMT_RemoteAccessPolicyAppliesToMPS.responses);
      const periodic = links.filter((link) => selectorValue(link.ManagedElement, 'Name') === cira.server
        && String(selectorValue(link.PolicySet, 'PolicyRuleName')).split(' ')[0] === 'Periodic');
      expect(periodic.length === 1, `${periodic.length} AMT_RemoteAccessPolicyAppliesToMPS links a Periodic rule to ${cira.server}`);
      return 'MPS server and its Periodic policy read back';
    }],
    ['cira-remove', async () => {
      expect(cira.server, 'nothing to remove (cira-add-mps failed)');
      const rule = await remove(stack, 'AMT_RemoteAccessPolicyRule', { PolicyRuleName: 'Periodic' });
      expect(rule.status === 200, why(stack, 'AMT_RemoteAccessPolicyRule', rule.status));
      const server = await remove(stack, 'AMT_ManagementPresenceRemoteSAP', { Name: cira.server });
      expect(server.status === 200, why(stack, 'AMT_ManagementPresenceRemoteSAP', server.status));
      const responses = await readBatch(stack, ['AMT_ManagementPresenceRemoteSAP', 'AMT_RemoteAccessPolicyRule']);
      const left = asList(responses.AMT_ManagementPresenceRemoteSAP.responses).length;
      expect(left === cira.serversBefore, `${left} MPS server(s) left, expected ${cira.serversBefore}`);
      const periodic = asList(responses.AMT_RemoteAccessPolicyRule.responses)
        .filter((rule) => String(rule.PolicyRuleName).split(' ')[0] === 'Periodic');
      expect(periodic.length === 0, `${periodic.length} Periodic rule(s) left after Delete`);
      return 'policy and MPS server deleted';
    }],
  );
  return list;
}

async function main() {
  const target = JSON.parse(fs.readFileSync(0, 'utf8'));
  let blocker = null;
  for (const [name, run] of checks(target)) {
    let result;
    if (blocker) {
      result = { check: name, ok: false, detail: `not run: ${blocker}` };
    } else {
      try {
        result = { check: name, ok: true, detail: await run() };
      } catch (error) {
        result = { check: name, ok: false, detail: error instanceof CheckFailed ? error.message : `exception: ${error.stack.split('\n').slice(0, 2).join(' ')}` };
      }
      if (name === 'tls-handshake' && !result.ok) blocker = 'tls-handshake failed';
    }
    process.stdout.write(JSON.stringify(result) + '\n');
  }
  process.exit(0);
}

main();
