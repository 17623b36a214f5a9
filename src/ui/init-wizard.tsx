import {Box, Text, render, useApp, useInput} from 'ink'
import {useState} from 'react'

import type {TemplateInfo} from '../init/templates.js'

export type WizardAnswers = {template: string; name: string}

export type InitWizardProps = {
  templates: TemplateInfo[]
  initialTemplate?: string
  /** The folder's name when one was given; otherwise the project name picks the folder. */
  dir?: string
  initialName: (template: string) => string
  validateName: (name: string) => string | undefined
  preview: (template: string, name: string) => string[]
  onDone: (answers: WizardAnswers | null) => void
}

type Step = 'template' | 'name' | 'preview'

export function InitWizard(props: InitWizardProps) {
  const {exit} = useApp()
  const start = Math.max(0, props.templates.findIndex((t) => t.name === props.initialTemplate))
  const [step, setStep] = useState<Step>('template')
  const [index, setIndex] = useState(start)
  const [name, setName] = useState('')
  const [error, setError] = useState<string | undefined>()
  const template = props.templates[index]

  const finish = (answers: WizardAnswers | null) => {
    props.onDone(answers)
    exit()
  }

  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) {
      if (step === 'template' || (key.ctrl && input === 'c')) return finish(null)
      setStep(step === 'preview' ? 'name' : 'template')
      return
    }
    if (step === 'template') {
      if (key.upArrow) setIndex((i) => (i + props.templates.length - 1) % props.templates.length)
      else if (key.downArrow || key.tab) setIndex((i) => (i + 1) % props.templates.length)
      else if (key.return) {
        setName(props.initialName(template.name))
        setError(undefined)
        setStep('name')
      }
    } else if (step === 'name') {
      if (key.return) {
        const problem = props.validateName(name)
        setError(problem)
        if (!problem) setStep('preview')
      } else if (key.backspace || key.delete) setName((n) => n.slice(0, -1))
      else if (input && !key.ctrl && !key.meta) setName((n) => (n + input).replace(/[\r\n]/g, ''))
    } else if (key.return || input === 'y') finish({template: template.name, name})
  })

  return (
    <Box flexDirection="column" paddingY={1}>
      <Text bold>openledger init</Text>
      {step === 'template' && (
        <Box flexDirection="column" marginTop={1}>
          <Text>Pick a template (↑/↓, enter):</Text>
          {props.templates.map((t, i) => (
            <Text key={t.name} color={i === index ? 'cyan' : undefined}>
              {i === index ? '❯ ' : '  '}
              {t.name.padEnd(20)}
              <Text dimColor>{t.description}</Text>
            </Text>
          ))}
        </Box>
      )}
      {step === 'name' && (
        <Box flexDirection="column" marginTop={1}>
          <Text>
            Template: <Text color="cyan">{template.name}</Text>
          </Text>
          <Text>
            Project name: <Text color="cyan">{name}</Text>
            <Text inverse> </Text>
          </Text>
          {error ? <Text color="red">{error}</Text> : <Text dimColor>enter to continue, esc to go back</Text>}
        </Box>
      )}
      {step === 'preview' && (
        <Box flexDirection="column" marginTop={1}>
          <Text>
            {template.name} → <Text color="cyan">{props.dir ?? name}/</Text>
          </Text>
          {props.preview(template.name, name).map((f) => (
            <Text key={f} dimColor>
              {'  '}
              {f}
            </Text>
          ))}
          <Text>Create it? (enter / y; esc to go back)</Text>
        </Box>
      )}
    </Box>
  )
}

/** Runs the wizard on the terminal; null when the user cancelled. */
export async function runInitWizard(props: Omit<InitWizardProps, 'onDone'>): Promise<WizardAnswers | null> {
  let answers: WizardAnswers | null = null
  const app = render(<InitWizard {...props} onDone={(a) => (answers = a)} />, {exitOnCtrlC: false})
  await app.waitUntilExit()
  return answers
}
