/** Exit codes of every gpc-lab command. */
export const EXIT_CLEAN = 0;
/** The run finished and found at least one violation. */
export const EXIT_FINDINGS = 1;
/** Bad command-line input: nothing was run. */
export const EXIT_USAGE = 2;
/** The tool itself failed (a thread crashed, a stall, an unexpected exception). */
export const EXIT_INTERNAL = 3;
/** Stopped by Ctrl-C (SIGINT), after the partial report: 128 + SIGINT, as shells report it. */
export const EXIT_INTERRUPTED = 130;
