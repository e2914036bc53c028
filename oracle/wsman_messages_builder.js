// Builds WS-Management requests with Intel's @device-management-toolkit/wsman-messages (pinned npm package), one per
// JSON line on stdin: {"schema": "AMT"|"CIM"|"IPS", "class": "GeneralSettings", "method": "Get", "args": [...]}.
// Answers one JSON line each on stdout: {"envelope": "<?xml ...>"} or {"error": "..."}.
'use strict';

const readline = require('readline');
const wsman = require('@device-management-toolkit/wsman-messages');

const messages = { AMT: new wsman.AMT.Messages(), CIM: new wsman.CIM.Messages(), IPS: new wsman.IPS.Messages() };

function build(request) {
  const schema = messages[request.schema];
  if (!schema) throw new Error(`unknown schema ${request.schema}`);
  const resource = schema[request.class];
  if (!resource) throw new Error(`${request.schema} has no class ${request.class}`);
  if (typeof resource[request.method] !== 'function') throw new Error(`${request.schema}.${request.class} has no method ${request.method}`);
  return resource[request.method](...(request.args || []));
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let answer;
  try {
    answer = { envelope: build(JSON.parse(line)) };
  } catch (error) {
    answer = { error: error.message };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
});
