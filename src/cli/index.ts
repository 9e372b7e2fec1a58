/** Run the CLI from source (tests, development): node --import tsx src/cli/index.ts ... */
import { main } from './main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
