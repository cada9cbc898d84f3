// Flat config: typescript-eslint's type-aware rules catch the promise and `any` mistakes
// that matter most in a gateway (floating promises lose errors; `any` skips validation).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tap/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Fastify handlers and plugins are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      'no-console': 'error'
    }
  },
  {
    // Adapters know one CRM and the port (src/core/port.ts), never the SPI: only the core turns
    // failure kinds into SPI codes (adapters/README.md).
    files: ['adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/spi', '**/src/spi/**'],
              message: 'Adapters never import from the SPI layer: throw a CrmFailure (src/core/port.ts) and let the core translate it.'
            }
          ]
        }
      ]
    }
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // tap's assertion API returns promises that a test deliberately does not await.
      '@typescript-eslint/no-floating-promises': 'off',
      // Tests walk JSON answers (inject's .json() is `any`) to assert on them; src stays strict.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      'no-console': 'off'
    }
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked]
  }
)
