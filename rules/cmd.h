/* cmd — the subcommands of jubao-rules that live in their own files (jubao-rules.c holds the
 * dispatch and the small ones). Each takes the arguments after its name and returns the exit
 * status; usage errors return 2.
 *
 *   cmd_eval.c   eval, classify   measure triage over labelled texts (docs/RULES.md)
 *   cmd_train.c  train            train a triage model from labelled files
 */
#ifndef JUBAO_CMD_H
#define JUBAO_CMD_H

int cmd_eval(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_train(int argc, char **argv);

#endif
