# One Python "execution environment" of a user's function, run by python-environment.ts as
# `python3 python-runner.py <file>`: imports the handler module once, then reads one invocation
# per line of stdin (JSON) and writes one answer per line, with the Python Lambda runtime's
# calling convention, handler(event, context), so a handler written for AWS runs unchanged.
# What the handler prints goes to stderr; stdout carries only the answers.
import importlib.util
import json
import os
import sys
import time
import traceback

protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)  # print() and C extensions writing to fd 1 land on stderr


def send(message):
    protocol.write(json.dumps(message) + "\n")
    protocol.flush()


def failure(err, error_type=None):
    # Lambda's shape for an unhandled exception: errorMessage, errorType, stackTrace.
    return {
        "errorType": error_type or type(err).__name__,
        "errorMessage": str(err),
        "stackTrace": traceback.format_tb(err.__traceback__),
    }


class LambdaContext:
    def __init__(self, invocation):
        self.function_name = invocation["functionName"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = invocation["invokedFunctionArn"]
        self.memory_limit_in_mb = "128"
        self.aws_request_id = invocation["requestId"]
        self.log_group_name = "/aws/lambda/" + self.function_name
        self.log_stream_name = invocation["logStreamName"]
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = invocation["deadline"]

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


def load(path):
    directory = os.path.dirname(path)
    name = os.path.splitext(os.path.basename(path))[0]
    # As in LAMBDA_TASK_ROOT: modules beside the handler import by their plain names.
    sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main():
    path = sys.argv[1]
    try:
        module = load(path)
    except SyntaxError as err:
        send({"type": "loadError", "error": failure(err, "Runtime.UserCodeSyntaxError")})
        return
    except BaseException as err:  # an import that exits or raises anything is Lambda's import error
        send({"type": "loadError", "error": {"errorType": "Runtime.ImportModuleError", "errorMessage": "Unable to import module '%s': %s" % (os.path.basename(path), err)}})
        return
    send({"type": "ready"})
    module_name = os.path.splitext(os.path.basename(path))[0]
    while True:
        line = sys.stdin.buffer.readline()  # bytes: UTF-8 whatever the locale says
        if not line:
            return  # Tobira closed the pipe: the environment ends
        invocation = json.loads(line.decode("utf-8"))
        answer = {"type": "result", "id": invocation["id"]}
        handler = getattr(module, invocation["handler"], None)
        if handler is None and invocation["handler"] == "handler":
            # AWS's Python blueprints name it lambda_handler: such a file runs unchanged.
            handler = getattr(module, "lambda_handler", None)
        if not callable(handler):
            answer["error"] = {"errorType": "Runtime.HandlerNotFound", "errorMessage": "Handler '%s' missing on module '%s'" % (invocation["handler"], module_name)}
        else:
            try:
                result = handler(json.loads(invocation["event"]), LambdaContext(invocation))
            except Exception as err:
                answer["error"] = failure(err)
            else:
                try:
                    answer["json"] = json.dumps(result, allow_nan=False)
                except (TypeError, ValueError) as err:
                    answer["invalid"] = "the answer is not JSON: %s" % err
        send(answer)


main()
