import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inClearToAnotherMachine } from '../src/lib/transport.js'

test('plain http to another machine is in clear', () => {
  for (const hostname of ['workshop.example.org', '10.0.0.5', '0.0.0.0', '[2001:db8::1]', 'localhost.example.org']) {
    assert.equal(inClearToAnotherMachine({ protocol: 'http:', hostname }), true, hostname)
  }
})

test('https, loopback and localhost are not', () => {
  for (const hostname of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', 'app.localhost', '[::1]', '::1']) {
    assert.equal(inClearToAnotherMachine({ protocol: 'http:', hostname }), false, hostname)
  }
  assert.equal(inClearToAnotherMachine({ protocol: 'https:', hostname: 'workshop.example.org' }), false)
})
