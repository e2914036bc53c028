// MeshCentral's Intel AMT stack (amt/amt-wsman-comm.js, amt-wsman.js, amt.js from the pinned npm package), loaded
// outside MeshCentral's server process.
'use strict';

const crypto = require('crypto');

const CreateWsmanComm = require('meshcentral/amt/amt-wsman-comm.js');
const WsmanStackCreateService = require('meshcentral/amt/amt-wsman.js');
const AmtStackCreateService = require('meshcentral/amt/amt.js');

// The stack reports failures as bare status numbers (408 after five failed connections, 400 for a SOAP fault, and
// nothing at all for a failed enumeration). Keep the last socket error and each class's last fault text so that a
// failing check can say why.
function recordFailures(comm) {
  const connectSocket = comm.xxConnectHttpSocket;
  const deliver = comm.gotNextMessages;
  comm.lastSocketError = null;
  comm.faults = {};
  comm.xxConnectHttpSocket = function () {
    connectSocket.apply(comm, arguments);
    if (comm.socket && comm.socket.on) {
      comm.socket.on('error', (error) => { comm.lastSocketError = error.code || error.message; });
    }
  };
  comm.gotNextMessages = function (data, status, request, callArgs) {
    if (request && request.status !== 200) {
      const resource = /<w:ResourceURI>[^<]*\/(\w+)<\/w:ResourceURI>/.exec(callArgs[0] || '');
      comm.faults[resource ? resource[1] : '?'] = `HTTP ${request.status}${faultText(data)}`;
    }
    return deliver.apply(comm, arguments);
  };
}

// The fault's subcode (e.g. b:DestinationUnreachable), else the start of its reason text.
function faultText(body) {
  const subcode = body && /<(?:\w+:)?Subcode>\s*<(?:\w+:)?Value>([^<]*)</.exec(body);
  const reason = body && /<(?:\w+:)?Text[^>]*>([^<]*)</.exec(body);
  if (subcode) return ` ${subcode[1]}`;
  return reason ? ` ${reason[1].slice(0, 80)}` : '';
}

// An AmtStack talking to one device the way MeshCentral's AMT manager does for a direct (LAN) connection, with the
// leaf certificate pinned by its SHA-256 (pinSha256), or any certificate accepted (0) as on MeshCentral's first contact.
// The stack's other check, a CA given in its TLS options, goes through node-forge, which reads RSA keys only: it cannot
// load the simulator's EC CA, and MeshCentral's AMT manager does not use it for direct connections.
function connect({ host, port, tls, username, password, pinSha256 = 0 }) {
  const comm = CreateWsmanComm(host, port, username, password, tls ? 1 : 0, null);
  comm.xtlsFingerprint = pinSha256;
  recordFailures(comm);
  return AmtStackCreateService(WsmanStackCreateService(comm));
}

function sha256Hex(der) {
  return crypto.createHash('sha256').update(der).digest('hex');
}

module.exports = { connect, sha256Hex };
