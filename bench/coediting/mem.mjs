// Holds connections open so the orchestrator can read the server's RSS.
// Usage: node mem.mjs PROTO URL MODE COUNT FIRST_DOC TEXT_FILE [TOKEN]
//   MODE conns: COUNT connections all joined to document FIRST_DOC;
//   MODE docs:  COUNT documents FIRST_DOC + i (or DOC_IDS), opened by ONE
//               socket.io connection (sio), or by one y-websocket connection
//               each (yws: a provider is one document); on a server that starts
//               documents empty (SEED=1) the client writes TEXT_FILE into each,
//               so every server holds the same text.
// Prints "ready <seconds> <connections>" once every join is answered, then
// waits for stdin to close.
import { readFileSync } from 'node:fs'
import * as Y from 'yjs'
import { io } from 'socket.io-client'
import { WebsocketProvider } from 'y-websocket'
import * as awarenessProtocol from 'y-protocols/awareness'
import WebSocket from 'ws'

const [proto, url, mode, count, firstDoc, textFile, token] = process.argv.slice(2)
const text = readFileSync(textFile, 'utf8')
const seed = process.env.SEED === '1'
const ids = process.env.DOC_IDS ? process.env.DOC_IDS.split(',').map(Number) : null
const docFor = (i) => mode === 'docs' ? (ids ? ids[i] : Number(firstDoc) + i) : Number(firstDoc)
const held = []

let shared = null
async function connect () {
  const socket = io(url, { auth: token ? { token } : undefined, transports: ['websocket'], reconnection: false, forceNew: true })
  await new Promise((resolve, reject) => { socket.on('connect', resolve); socket.on('connect_error', reject) })
  held.push(socket)
  return socket
}

async function sio (i) {
  const documentId = docFor(i)
  const socket = mode === 'docs' ? (shared ||= await connect()) : await connect()
  const ack = await socket.timeout(120000).emitWithAck('doc:join', { document_id: documentId, state_vector: new Uint8Array([0]) })
  if (!ack.ok) throw new Error('join refused ' + JSON.stringify(ack))
  const doc = new Y.Doc()
  Y.applyUpdate(doc, new Uint8Array(ack.update))
  if (seed && mode === 'docs') {
    const stored = new Promise((resolve) => {
      doc.on('update', (update, origin) => {
        if (origin === null) socket.emit('doc:update', { document_id: documentId, update }, resolve)
      })
    })
    doc.getText('content').insert(0, text)
    await stored
  }
  socket.on('doc:update', (msg) => { if (msg.document_id === documentId) Y.applyUpdate(doc, new Uint8Array(msg.update), 'remote') })
}

async function yws (i) {
  const doc = new Y.Doc()
  const awareness = new awarenessProtocol.Awareness(doc)
  awareness.setLocalState(null)
  const provider = new WebsocketProvider(url, `doc-${docFor(i)}`, doc,
    { WebSocketPolyfill: WebSocket, awareness, disableBc: true })
  await new Promise((resolve) => provider.on('sync', (synced) => { if (synced) resolve() }))
  if (seed && mode === 'docs') doc.getText('content').insert(0, text)
  held.push(provider)
}

const t0 = performance.now()
for (let i = 0; i < Number(count); i++) await (proto === 'yws' ? yws(i) : sio(i))
await new Promise((resolve) => setTimeout(resolve, 500))
console.log(`ready ${((performance.now() - t0) / 1000).toFixed(1)} ${held.length}`)
process.stdin.resume()
process.stdin.on('end', () => process.exit(0))
