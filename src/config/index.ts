export { loadConfig, describeKeys, envName, ConfigError, type Config, type LoadOptions } from './config.ts';
