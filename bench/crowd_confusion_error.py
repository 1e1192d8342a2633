#!/usr/bin/env python3
# The learned annotator confusions of every finished learn-from-crowds run of a project with truth,
# against the confusions counted from the truth (row k of annotator r: the share of r's answers on
# items of class k): mean absolute error over the rows with data, and the mean diagonal. Reads the
# .csift (SQLite) and its cache folder directly. README "Learning from crowds".
#   bench/crowd_confusion_error.py project.csift   (e.g. CROWD_WORK=dir bench/crowd_learning ... demo, then dir/fm.csift)
import sqlite3, sys, os
import numpy as np
proj = sys.argv[1]
c = sqlite3.connect(f'file:{proj}?mode=ro', uri=True)
K = c.execute('select count(*) from classes').fetchone()[0]
M = c.execute('select count(*) from annotators').fetchone()[0]
truth = dict(c.execute('select idx, truth from items'))
emp = np.zeros((M, K, K))
for item, a, l, comp in c.execute('select * from answers'):
    if not comp: emp[a, truth[item], l] += 1
rows = emp.sum(2)
ok = rows > 0
emp = emp / np.maximum(rows, 1)[:, :, None]
eye = np.exp(np.eye(K)); eye /= eye.sum(1, keepdims=True)
print('identity: MAE %.4f' % np.abs(eye[None] - emp)[ok].mean())
for run, name in c.execute("select id, name from runs where kind='train' and (name like 'crowdlayer%' or name like 'conal%') and status='done'"):
    f = c.execute("select file from run_outputs where run=? and name='annotator_confusions'", (run,)).fetchone()[0]
    path = f if os.path.isabs(f) else os.path.join(proj + '.cache', f)
    if not os.path.exists(path): path = os.path.join(os.path.dirname(proj), f)
    learned = np.load(path)
    d = np.array([np.diag(learned[r]).mean() for r in range(M)])
    print('run %d %s: MAE to the empirical confusions %.4f, mean diagonal %.3f (empirical %.3f)' % (run, name, np.abs(learned - emp)[ok].mean(), d.mean(), np.mean([np.diag(emp[r]).mean() for r in range(M)])))
