/**
 * A local stand-in for a Blockscout explorer's Etherscan-compatible contract API, serving the three
 * actions verify-contracts uses. It verifies for real: recompiles the submitted standard JSON with
 * solc-js, finds the contract's creation transaction on the chain, and accepts only when
 *   - the creation input is the compiled creation bytecode followed by the submitted constructor
 *     arguments, byte for byte, and
 *   - the runtime code on chain is the compiled runtime bytecode, byte for byte, except at the
 *     immutable references solc reports (the constructor writes those bytes at deployment: the
 *     compiler leaves zeros there).
 * Metadata hashes are compared as they are, not ignored: the same standard JSON reproduces them.
 */
import {randomUUID} from 'node:crypto'
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import {createRequire} from 'node:module'
import {Worker} from 'node:worker_threads'

import {type Address, type Hex, createPublicClient, http} from 'viem'

const require = createRequire(import.meta.url)

type Verified = {SourceCode: string; ContractName: string; CompilerVersion: string; ABI: string}
type Job = {state: 'pending'} | {state: 'pass'} | {state: 'fail'; reason: string}

export type LocalExplorer = {
  url: string
  /** verifysourcecode requests received, by address. */
  submissions: Address[]
  verified: Map<string, Verified>
  close(): Promise<void>
}

export async function startLocalExplorer(rpcUrl: string): Promise<LocalExplorer> {
  const solc = require('solc')
  const solcVersion = `v${String(solc.version()).replace(/\.Emscripten\.clang$/, '')}`
  const client = createPublicClient({transport: http(rpcUrl)})
  const verified = new Map<string, Verified>()
  const jobs = new Map<string, Job>()
  const submissions: Address[] = []
  // The same standard JSON for every contract of a deployment: compile it once.
  const compiled = new Map<string, Promise<any>>()

  // In a worker thread, so the API keeps answering (checkverifystatus: pending) while solc works.
  const compile = (standardJson: string): Promise<any> => {
    let out = compiled.get(standardJson)
    if (!out) {
      const input = JSON.parse(standardJson)
      input.settings.outputSelection = {
        '*': {'*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'evm.deployedBytecode.immutableReferences']},
      }
      const worker = new Worker(
        `const {parentPort, workerData} = require('node:worker_threads');
         parentPort.postMessage(require(workerData.solc).compile(workerData.input))`,
        {eval: true, workerData: {solc: require.resolve('solc'), input: JSON.stringify(input)}},
      )
      out = new Promise((resolve, reject) => {
        worker.once('message', (text: string) => {
          resolve(JSON.parse(text))
          void worker.terminate()
        })
        worker.once('error', reject)
      })
      compiled.set(standardJson, out)
    }
    return out
  }

  const creationInput = async (address: Address): Promise<Hex | undefined> => {
    const latest = await client.getBlockNumber()
    for (let n = 0n; n <= latest; n++) {
      const block = await client.getBlock({blockNumber: n, includeTransactions: true})
      for (const tx of block.transactions) {
        if (tx.to !== null) continue
        const receipt = await client.getTransactionReceipt({hash: tx.hash})
        if (receipt.contractAddress?.toLowerCase() === address.toLowerCase()) return tx.input
      }
    }
    return undefined
  }

  const verify = async (p: URLSearchParams): Promise<Job> => {
    const address = p.get('contractaddress') as Address
    const [source, name] = (p.get('contractname') ?? '').split(':')
    if (p.get('compilerversion') !== solcVersion)
      return {state: 'fail', reason: `Compiler version ${p.get('compilerversion')} is not available`}
    const out = await compile(p.get('sourceCode') ?? '{}')
    const errors = (out.errors ?? []).filter((e: {severity: string}) => e.severity === 'error')
    if (errors.length) return {state: 'fail', reason: `Compilation failed: ${errors[0].message}`}
    const c = out.contracts?.[source]?.[name]
    if (!c) return {state: 'fail', reason: `${p.get('contractname')} is not in the sources`}
    const input = await creationInput(address)
    if (!input) return {state: 'fail', reason: `no creation transaction for ${address}`}
    const args = (p.get('constructorArguements') ?? '').toLowerCase()
    if (input.toLowerCase() !== `0x${c.evm.bytecode.object}${args}`.toLowerCase()) {
      return {state: 'fail', reason: 'Unable to verify: the creation code or constructor arguments do not match'}
    }
    const onChain = Buffer.from(((await client.getCode({address})) ?? '0x').slice(2), 'hex')
    const built = Buffer.from(c.evm.deployedBytecode.object, 'hex')
    if (onChain.length !== built.length) return {state: 'fail', reason: 'Unable to verify: the runtime bytecode length differs'}
    for (const refs of Object.values(c.evm.deployedBytecode.immutableReferences ?? {}) as Array<Array<{start: number; length: number}>>) {
      for (const r of refs) onChain.fill(0, r.start, r.start + r.length)
    }
    if (!onChain.equals(built)) return {state: 'fail', reason: 'Unable to verify: the runtime bytecode does not match'}
    verified.set(address.toLowerCase(), {
      SourceCode: p.get('sourceCode')!,
      ContractName: name,
      CompilerVersion: solcVersion,
      ABI: JSON.stringify(c.abi),
    })
    return {state: 'pass'}
  }

  const answer = (res: ServerResponse, status: string, message: string, result: unknown) => {
    res.writeHead(200, {'content-type': 'application/json'})
    res.end(JSON.stringify({status, message, result}))
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== '/api') return void res.writeHead(404).end()
    let params = url.searchParams
    if (req.method === 'POST') {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    }
    if (params.get('module') !== 'contract') return answer(res, '0', 'NOTOK', 'Unknown module')
    const action = params.get('action')
    if (action === 'getsourcecode') {
      const v = verified.get((params.get('address') ?? '').toLowerCase())
      return answer(res, '1', 'OK', [
        v ?? {SourceCode: '', ABI: 'Contract source code not verified', ContractName: '', CompilerVersion: ''},
      ])
    }
    if (action === 'verifysourcecode') {
      const address = params.get('contractaddress') as Address
      submissions.push(address)
      if (verified.has(address.toLowerCase())) return answer(res, '0', 'NOTOK', 'Contract source code already verified')
      const guid = randomUUID()
      jobs.set(guid, {state: 'pending'})
      // Verified in the background, as Blockscout queues it: the client polls checkverifystatus.
      setImmediate(() =>
        verify(params).then(
          (job) => jobs.set(guid, job),
          (err) => jobs.set(guid, {state: 'fail', reason: String(err)}),
        ),
      )
      return answer(res, '1', 'OK', guid)
    }
    if (action === 'checkverifystatus') {
      const job = jobs.get(params.get('guid') ?? '')
      if (!job) return answer(res, '0', 'NOTOK', 'Unknown UID')
      if (job.state === 'pending') return answer(res, '0', 'NOTOK', 'Pending in queue')
      if (job.state === 'pass') return answer(res, '1', 'OK', 'Pass - Verified')
      return answer(res, '0', 'NOTOK', `Fail - ${job.reason}`)
    }
    return answer(res, '0', 'NOTOK', `Unknown action ${action}`)
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(500).end(String(err))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as {port: number}).port
  return {
    url: `http://127.0.0.1:${port}`,
    submissions,
    verified,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
