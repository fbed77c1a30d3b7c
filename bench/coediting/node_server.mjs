// Node's best case for the same wire protocol: socket.io 4.8, one in-memory
// Y.Doc per document, the SPEC's doc:* events, no auth and no persistence.
// Usage: node node_server.mjs PORT
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import * as Y from 'yjs'

const port = Number(process.argv[2] || 5055)
const docs = new Map()
const docOf = (id) => {
  if (!docs.has(id)) { const d = new Y.Doc(); d.getText('content'); docs.set(id, d) }
  return docs.get(id)
}
const http = createServer()
const io = new Server(http, { maxHttpBufferSize: 8 * 1024 * 1024, transports: ['websocket'] })
io.on('connection', (socket) => {
  socket.on('doc:join', ({ document_id, state_vector }, ack) => {
    const doc = docOf(document_id)
    socket.join(`doc:${document_id}`)
    ack({ ok: true, update: Y.encodeStateAsUpdate(doc, new Uint8Array(state_vector || [])),
          state_vector: Y.encodeStateVector(doc) })
  })
  socket.on('doc:update', ({ document_id, update }, ack) => {
    try { Y.applyUpdate(docOf(document_id), new Uint8Array(update)) } catch (e) { return ack({ ok: false }) }
    socket.to(`doc:${document_id}`).emit('doc:update', { document_id, update })
    ack({ ok: true })
  })
  socket.on('doc:awareness', ({ document_id, update }) => {
    socket.to(`doc:${document_id}`).emit('doc:awareness', { document_id, update })
  })
})
http.listen(port, '127.0.0.1', () => console.log(`node doc server on ${port}`))
