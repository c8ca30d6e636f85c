export { loadConfig, describeKeys, envName, ConfigError, AUTOMATION_CREDENTIALS_FILE, type Config, type LoadOptions } from './config.ts';
