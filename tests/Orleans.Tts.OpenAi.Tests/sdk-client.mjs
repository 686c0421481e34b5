// Drives the service with the official OpenAI Node SDK, unmodified, as a client application would.
// Usage: node sdk-client.mjs <sdk dir> <base url> <request json> <audio out file>
// Prints one JSON line: what the SDK returned (status, headers, event types, chunk count) or the error it threw.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [sdkDir, baseURL, requestJson, outFile] = process.argv.slice(2);
const { default: OpenAI } = await import(pathToFileURL(`${sdkDir}/index.mjs`).href);
const client = new OpenAI({ apiKey: process.env.TTS_TEST_API_KEY ?? 'unused', baseURL, maxRetries: 0, timeout: 60_000 });
const request = JSON.parse(requestJson);

try {
  if (request.list_models) {
    const models = await client.models.list();
    console.log(JSON.stringify({ models: models.data }));
    process.exit(0);
  }
  const { data: response, response: raw } = await client.audio.speech.create(request).withResponse();
  const result = { status: raw.status, contentType: raw.headers.get('content-type'), voice: raw.headers.get('x-tts-voice'), chunks: 0, events: [] };
  const parts = [];
  if (request.stream_format === 'sse') {
    // OpenAI's speech SSE: data lines of speech.audio.delta (base64 audio) and a final speech.audio.done.
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body) text += decoder.decode(chunk, { stream: true });
    for (const line of text.split('\n')) {
      if (!line.startsWith('data:')) continue;
      const event = JSON.parse(line.slice(5));
      result.events.push(event.type);
      if (event.type === 'speech.audio.delta') parts.push(Buffer.from(event.audio, 'base64'));
      if (event.type === 'speech.audio.done') result.usage = event.usage;
      // The server's extension event (timestamps: "word"); an application that does not know it skips it, as this one does for audio.
      if (event.type === 'speech.audio.words') result.words = (result.words ?? 0) + event.words.length;
    }
  } else {
    for await (const chunk of response.body) { result.chunks++; parts.push(Buffer.from(chunk)); }
  }
  writeFileSync(outFile, Buffer.concat(parts));
  console.log(JSON.stringify(result));
} catch (e) {
  console.log(JSON.stringify({ error: { name: e.constructor?.name, status: e.status, message: e.message } }));
}
