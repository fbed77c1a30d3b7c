// Preloaded into the Node servers for the memory runs only (node --expose-gc
// --import): SIGUSR2 runs a full GC, so RSS is read without garbage in it.
process.on('SIGUSR2', () => { if (globalThis.gc) globalThis.gc() })
