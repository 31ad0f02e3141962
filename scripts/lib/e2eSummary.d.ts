/** Appended to the title of an e2e suite skipped because there is no Pulumi CLI. */
export declare const NO_CLI_MARK: string;
/** The title of the failing test that stands for an e2e suite on CI when there is no Pulumi CLI. */
export declare const NEEDS_CLI_TITLE: string;
