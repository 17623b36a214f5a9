import {join} from 'node:path'

import {parseEther} from 'viem'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {type Chain, startChain, trainArtifact} from '../publish/helpers.js'
import {resolveSigner} from '../../src/chain/context.js'
import {publishModel} from '../../src/publish/publish.js'
import {type InferenceServer, createInferenceServer} from '../../src/serve/server.js'
import {expectSchema} from '../helpers/json-schema.js'
import {gasCost, send} from '../helpers/contracts.js'
import {OpenledgerClient} from '../../src/client/index.js'
import InferCommand from '../../src/commands/infer.js'
import {runCommand as run} from '../helpers/run-command.js'
import {InferenceSettlement, Staking} from '../../src/contracts/artifacts/index.js'
import {PAYMENT_REQUIRED_HEADER, decodeQuoteHeader, encodeAuthorizationHeader, signQuote} from '../../src/protocol/authorization.js'

const SERVER = 0
const PAYER = 3
let c: Chain
let srv: InferenceServer
let url: string
const cids: string[] = []
const saved = process.env.OPENLEDGER_STATE_DIR

beforeAll(async () => {
  c = await startChain()
  process.env.OPENLEDGER_STATE_DIR = c.stateDir
  const ctx = await resolveSigner({})
  for (const [i, name] of ['alpha', 'beta'].entries()) {
    const dir = await trainArtifact(join(c.dir, 'models', name), c.source, 10 + i)
    cids.push((await publishModel(ctx, {folder: dir, name})).cid)
  }
  // The server settles as a staked agent; account 3 pays from its prepaid credit.
  await send(c.p, SERVER, {address: c.p.addresses.Staking, abi: Staking.abi, functionName: 'stake', args: [1], value: parseEther('10')})
  await send(c.p, PAYER, {
    address: c.p.addresses.InferenceSettlement,
    abi: InferenceSettlement.abi,
    functionName: 'deposit',
    value: parseEther('1'),
  })
  srv = createInferenceServer({stateDir: c.stateDir, maxModels: 4})
  url = (await srv.listen(0, '127.0.0.1')).url
})
afterAll(async () => {
  await srv?.close()
  if (saved === undefined) delete process.env.OPENLEDGER_STATE_DIR
  else process.env.OPENLEDGER_STATE_DIR = saved
  await c?.cleanup()
})

const credit = (i: number) =>
  c.p.publicClient.readContract({
    address: c.p.addresses.InferenceSettlement,
    abi: InferenceSettlement.abi,
    functionName: 'credit',
    args: [c.p.accounts[i].address],
  })
const balance = (i: number) => c.p.publicClient.getBalance({address: c.p.accounts[i].address})
const receiptCount = () =>
  c.p.publicClient.readContract({address: c.p.addresses.InferenceSettlement, abi: InferenceSettlement.abi, functionName: 'receiptCount'})

const post = async (body: unknown) => {
  const res = await fetch(`${url}/v1/infer`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: {'content-type': 'application/json'},
  })
  return {status: res.status, json: (await res.json()) as any}
}

describe('serve', () => {
  it('GET /health answers', async () => {
    const res = await fetch(`${url}/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ok: true})
  })

  it('answers 80 concurrent requests across two models (by CID and by name), all 200, batched through one encoder', async () => {
    const texts = ['my card was charged twice', 'the parcel is late', 'my password does not work', 'the invoice shows a wrong amount']
    const reqs = Array.from({length: 80}, (_, i) => ({
      model: i % 4 === 0 ? 'alpha' : i % 4 === 1 ? 'beta' : cids[i % 2],
      text: texts[i % 4],
    }))
    const before = srv.stats()
    const out = await Promise.all(reqs.map(post))
    expect(out.map((r) => r.status)).toEqual(reqs.map(() => 200))
    for (const [i, r] of out.entries()) {
      expect(r.json.cid).toBe(cids[i % 2])
      expect(Object.keys(r.json.prediction.probabilities).sort()).toEqual(['billing', 'login', 'shipping'])
    }
    expect(out[0].json.prediction.label).toBe('billing')
    expect(out[1].json.prediction.label).toBe('shipping')
    const after = srv.stats()
    expect(after.texts - before.texts).toBe(80)
    expect(after.batches - before.batches).toBeLessThan(80)
    expect(after.loaded).toBe(2)
  })

  it('the same JSON as infer --json, with attribution when asked', async () => {
    const r = await post({model: cids[0], text: 'my card was charged twice', attribute: true})
    expect(r.status).toBe(200)
    expect(r.json.prediction.attribution.records.length).toBeGreaterThan(0)
    const sum = r.json.prediction.attribution.contributors.reduce((a: bigint, x: {weight: string}) => a + BigInt(x.weight), 0n)
    expect(sum).toBe(10n ** 18n)
    expect(r.json.prediction.receipt.model).toBe(cids[0])
  })

  it('bad requests get 400 with a JSON error naming the field at fault', async () => {
    const cases: Array<[unknown, RegExp]> = [
      ['{not json', /not valid JSON/],
      ['[]', /must be a JSON object/],
      [{text: 'x'}, /^"model" must be/],
      [{model: cids[0]}, /^"text" must be/],
      [{model: cids[0], text: ''}, /^"text" must be a non-empty string/],
      [{model: cids[0], text: 'x', attribute: 'yes'}, /^"attribute" must be true or false/],
      [{model: cids[0], text: 'x', pay: 1}, /^"pay" must be true or false/],
      [{model: cids[0], text: 'x', topK: 0}, /^"topK" must be a positive integer/],
      [{model: cids[0], text: 'x', top_k: 5}, /^"top_k" is not a field of \/v1\/infer/],
    ]
    for (const [body, message] of cases) {
      const r = await post(body)
      expect(r.status, JSON.stringify(body)).toBe(400)
      expect(r.json.error).toMatchObject({code: 'E_BAD_REQUEST', message: expect.stringMatching(message)})
    }
    const unknown = await post({model: 'no-such-model', text: 'hello'})
    expect(unknown.status).toBe(400)
    expect(unknown.json.error).toMatchObject({code: 'E_UNKNOWN_MODEL', message: expect.stringMatching(/^"model": .*no-such-model/)})
    expect((await fetch(`${url}/nope`)).status).toBe(404)
    const get = await fetch(`${url}/v1/infer`)
    expect(get.status).toBe(405)
    expect(((await get.json()) as any).error.message).toMatch(/use POST/)
  })

  it('a body over the limit gets 413', async () => {
    const small = createInferenceServer({stateDir: c.stateDir, maxBodyBytes: 64})
    const u = (await small.listen(0, '127.0.0.1')).url
    try {
      const res = await fetch(`${u}/v1/infer`, {method: 'POST', body: JSON.stringify({model: cids[0], text: 'x'.repeat(100)})})
      expect(res.status).toBe(413)
      expect(((await res.json()) as any).error).toMatchObject({code: 'E_BODY_TOO_LARGE', message: 'request body over 64 bytes'})
      expect(small.stats().loaded).toBe(0)
    } finally {
      await small.close()
    }
  })

  it('evicts least recently used models past the limit and reloads them on demand', async () => {
    const small = createInferenceServer({stateDir: c.stateDir, maxModels: 1})
    const u = (await small.listen(0, '127.0.0.1')).url
    try {
      const receipts: string[] = []
      // Attributed, so each eviction also frees the model's attribution state, rebuilt on return.
      for (const m of [cids[0], cids[1], cids[0]]) {
        const res = await fetch(`${u}/v1/infer`, {
          method: 'POST',
          body: JSON.stringify({model: m, text: 'the parcel is late', attribute: true}),
        })
        expect(res.status).toBe(200)
        receipts.push(JSON.stringify(((await res.json()) as any).prediction.receipt))
      }
      expect(small.stats()).toMatchObject({loaded: 1, evictions: 2})
      expect(receipts[2]).toBe(receipts[0])
      expect(receipts[1]).not.toBe(receipts[0])
    } finally {
      await small.close()
    }
  })

  it('answers a paid request without an authorization with 402 and a quote, and settles nothing', async () => {
    const before = srv.stats()
    const count = await receiptCount()
    const res = await fetch(`${url}/v1/infer`, {
      method: 'POST',
      body: JSON.stringify({model: 'beta', text: 'my password does not work', pay: true}),
    })
    expect(res.status).toBe(402)
    const body = (await res.json()) as any
    expect(body.error.code).toBe('E_PAYMENT_REQUIRED')
    const quote = decodeQuoteHeader(res.headers.get(PAYMENT_REQUIRED_HEADER)!)
    expect(body.quote).toEqual(quote)
    expect(quote).toMatchObject({
      price: (10n ** 16n).toString(),
      cid: cids[1],
      chainId: c.p.chain.id,
      settlement: c.p.addresses.InferenceSettlement,
    })
    expect(quote.eip712).toMatchObject({
      primaryType: 'PaymentAuthorization',
      domain: {name: 'OpenLedger InferenceSettlement', version: '1'},
    })
    expect(res.headers.get('x-payment-price')).toBe(quote.price)
    // A malformed or forged authorization is a 402 too.
    const bad = await fetch(`${url}/v1/infer`, {
      method: 'POST',
      headers: {'x-payment': 'not base64 json'},
      body: JSON.stringify({model: 'beta', text: 'x', pay: true}),
    })
    expect(bad.status).toBe(402)
    const forged = await signQuote(c.p.accounts[7] as never, quote)
    const wrong = await fetch(`${url}/v1/infer`, {
      method: 'POST',
      headers: {'x-payment': encodeAuthorizationHeader({...forged, payer: c.p.accounts[PAYER].address})},
      body: JSON.stringify({model: 'beta', text: 'x', pay: true}),
    })
    expect(wrong.status).toBe(402)
    expect(((await wrong.json()) as any).error.message).toMatch(/bad signature/)
    expect(await receiptCount()).toBe(count)
    expect(srv.stats().settled).toBe(before.settled)
  })

  it("pays with account 3's signed authorization: account 3's credit pays exactly the fee, the server only gas", async () => {
    const client = new OpenledgerClient({url, payer: c.p.accounts[PAYER] as never, maxFee: 10n ** 16n})
    const [credit0, server0, payer0] = [await credit(PAYER), await balance(SERVER), await balance(PAYER)]
    const r = await client.infer({model: 'beta', text: 'my password does not work', pay: true})
    // The same shape as `infer --pay --json`.
    expectSchema('infer', r)
    const receipt = r.prediction.receipt!
    const s = receipt.split!
    expect(BigInt(s.platform) + BigInt(s.model) + BigInt(s.stakers) + BigInt(s.contributors)).toBe(10n ** 16n)
    expect(receipt).toMatchObject({payer: c.p.accounts[PAYER].address, agent: c.p.accounts[SERVER].address})
    expect(await credit(PAYER)).toBe(credit0 - 10n ** 16n)
    expect(await balance(PAYER)).toBe(payer0)
    const tx = await c.p.publicClient.getTransactionReceipt({hash: receipt.txHash as `0x${string}`})
    expect(await balance(SERVER)).toBe(server0 - gasCost(tx))
  })

  it('settles concurrent paid requests together on-chain, each with its own receipt', async () => {
    const before = srv.stats()
    const client = new OpenledgerClient({url, payer: c.p.accounts[PAYER] as never})
    const credit0 = await credit(PAYER)
    const texts = ['refund my order', 'the app crashes', 'wrong item delivered', 'cannot log in', 'charged twice']
    const rs = await Promise.all(texts.map((text, k) => client.infer({model: k % 2 ? 'beta' : cids[0], text, pay: true})))
    for (const r of rs) {
      const s = r.prediction.receipt!.split!
      expect(BigInt(s.platform) + BigInt(s.model) + BigInt(s.stakers) + BigInt(s.contributors)).toBe(10n ** 16n)
    }
    const after = srv.stats()
    expect(after.settled - before.settled).toBe(texts.length)
    // Fewer transactions than requests, and distinct receipts.
    expect(after.settlements - before.settlements).toBeLessThan(texts.length)
    expect(new Set(rs.map((r) => r.prediction.receipt!.receiptId)).size).toBe(texts.length)
    expect(new Set(rs.map((r) => r.prediction.receipt!.txHash)).size).toBe(after.settlements - before.settlements)
    expect(await credit(PAYER)).toBe(credit0 - BigInt(texts.length) * 10n ** 16n)
  })

  it('over plain HTTP: sign the 402 quote, resend with x-payment, read the settlement in x-payment-response', async () => {
    const body = JSON.stringify({model: cids[0], text: 'the courier is late', pay: true})
    const first = await fetch(`${url}/v1/infer`, {method: 'POST', body})
    expect(first.status).toBe(402)
    const quote = decodeQuoteHeader(first.headers.get(PAYMENT_REQUIRED_HEADER)!)
    await first.arrayBuffer()
    const auth = await signQuote(c.p.accounts[PAYER] as never, quote)
    const paid = await fetch(`${url}/v1/infer`, {method: 'POST', body, headers: {'x-payment': encodeAuthorizationHeader(auth)}})
    expect(paid.status).toBe(200)
    const answer = (await paid.json()) as any
    const settled = JSON.parse(Buffer.from(paid.headers.get('x-payment-response')!, 'base64').toString('utf8'))
    expect(settled).toEqual({
      receiptId: answer.prediction.receipt.receiptId,
      txHash: answer.prediction.receipt.txHash,
      fee: quote.price,
      payer: c.p.accounts[PAYER].address,
    })
    // The same authorization again: its nonce is spent.
    const replay = await fetch(`${url}/v1/infer`, {method: 'POST', body, headers: {'x-payment': encodeAuthorizationHeader(auth)}})
    expect(replay.status).toBe(402)
    expect(((await replay.json()) as any).error.message).toMatch(/nonce already used/)
  })

  it('infer --pay --server signs the quote as the signer (account 3): its credit pays, a quote above --fee is refused', async () => {
    const credit0 = await credit(PAYER)
    const args = ['--server', url, '--model', 'beta', '--text', 'the parcel is late', '--pay', '--account', String(PAYER), '--json']
    const r = await run(c.config, InferCommand, args)
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expectSchema('infer', r.json)
    expect(r.json.prediction.receipt).toMatchObject({payer: c.p.accounts[PAYER].address, fee: (10n ** 16n).toString()})
    expect(await credit(PAYER)).toBe(credit0 - 10n ** 16n)
    const cheap = await run(c.config, InferCommand, [...args, '--fee', '0.001'])
    expect(cheap.exitCode).toBe(2)
    expect(cheap.stdout + cheap.stderr).toMatch(/above the maximum fee/)
    expect(await credit(PAYER)).toBe(credit0 - 10n ** 16n)
  })

  it('closes gracefully: a request in flight finishes', async () => {
    const s2 = createInferenceServer({stateDir: c.stateDir})
    const u = (await s2.listen(0, '127.0.0.1')).url
    const pending = fetch(`${u}/v1/infer`, {method: 'POST', body: JSON.stringify({model: cids[1], text: 'the package is lost'})})
    // Close once the server has the request (it is in flight), not after a guessed delay.
    await vi.waitFor(() => expect(s2.stats().requests).toBe(1))
    await s2.close()
    expect((await pending).status).toBe(200)
  })
})
