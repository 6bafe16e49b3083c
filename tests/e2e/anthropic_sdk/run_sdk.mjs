// Drives the official Anthropic TypeScript SDK against Gatehouse (baseURL = the gateway):
// one non-streaming and one streaming Messages call with the same prompt, and prints what
// the SDK handed to the application as one JSON line on stdout.
//   node run_sdk.mjs <gateway base URL> <prompt file>
import Anthropic from '@anthropic-ai/sdk';
import { readFileSync } from 'node:fs';

const [baseURL, promptFile] = process.argv.slice(2);
const prompt = readFileSync(promptFile, 'utf8');
const client = new Anthropic({ apiKey: 'sk-ant-test-not-a-key', baseURL, maxRetries: 0, timeout: 20000 });
const params = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  messages: [{ role: 'user', content: prompt }],
  tools: [{
    name: 'lookup',
    description: 'Looks up AWS resources',
    input_schema: { type: 'object', properties: { instances: { type: 'array', items: { type: 'string' } } } },
  }],
};

const textOf = (m) => m.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
const toolOf = (m) => (m.content.find((b) => b.type === 'tool_use') || {}).input;

const message = await client.messages.create(params);

const stream = client.messages.stream(params);
let streamedText = '';
let streamedJson = '';
stream.on('text', (t) => { streamedText += t; });
stream.on('inputJson', (partial) => { streamedJson += partial; });
const final = await stream.finalMessage();

process.stdout.write(JSON.stringify({
  nonstream: { text: textOf(message), input: toolOf(message), stop_reason: message.stop_reason },
  stream: {
    text: streamedText,
    final_text: textOf(final),
    partial_json: streamedJson,
    input: toolOf(final),
    stop_reason: final.stop_reason,
  },
}) + '\n');
