/* log — one line per event on standard error, with time, level and program.
 *
 * Never pass a client address, a contact, a description, a secret or a key to these
 * functions: logs leave the machine more easily than Redis does.
 */
#ifndef JUBAO_LOG_H
#define JUBAO_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_init(const char *program, enum log_level min);

/* The level named "debug", "warn" or "error"; LOG_INFO for anything else. */
enum log_level log_level_of(const char *name);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
