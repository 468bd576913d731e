"""GPU exploration: train MNIST autoencoders (3 corruption kinds), evaluate pass vs reverse variants on
the full test set for 3 bands, time GPU vs CPU reverse, save models to $OUT."""
import os, sys, time, json, numpy as np, torch
sys.path.insert(0, "src")
from revimpute.nn import TrainingConfig, train_autoencoder, code_radius
from revimpute.reverse import ReverseConfig, reverse_impute, one_pass
def image_band(n, k, position):
    start = {"top": 4, "middle": 9, "bottom": 14}[position]
    m = np.zeros((n, 28, 28), bool); m[:, start:start + k, :] = True
    return m.reshape(n, 784)
OUT = os.environ.get("OUT", "/tmp/out"); os.makedirs(OUT, exist_ok=True)
QUICK = os.environ.get("QUICK") == "1"
dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
d = np.load(os.environ.get("MNIST_NPZ", ".gpu_mnist_u8.npz"))
Xtr, Xte = (d["train"].astype(np.float32) / 256), (d["test"].astype(np.float32) / 256)
if QUICK: Xtr, Xte = Xtr[:2000], Xte[:300]
log = open(f"{OUT}/log.txt", "a")
def say(*a):
    s = " ".join(str(x) for x in a); print(s, flush=True); log.write(s + "\n"); log.flush()
say("device", dev, torch.__version__, torch.cuda.get_device_name(0) if dev.type == "cuda" else "")
EPOCHS = 2 if QUICK else int(os.environ.get("EPOCHS", "20"))
models = {}
for corr in ["cells", "mixed", "none"]:
    cfg = TrainingConfig(hidden_sizes=(512, 256), latent_size=32, max_epochs=EPOCHS, patience=4,
                         batch_size=128, learning_rate=1e-3, corruption_rate=0.25, corruption=corr)
    t = time.time()
    model, hist = train_autoencoder(Xtr, np.ones_like(Xtr, bool), cfg, seed=0, device=dev)
    R = code_radius(model, Xtr[:10000], np.ones((min(10000, len(Xtr)), 784), bool), device=dev)
    say(f"train {corr}: {time.time()-t:.1f}s epochs {len(hist.train_loss)} best {hist.best_epoch} val {min(hist.validation_loss):.4f} R {R:.2f}")
    torch.save({k: v.cpu() for k, v in model.state_dict().items()}, f"{OUT}/mnist_{corr}.pt")
    models[corr] = (model, R)
def score(X, F, mask):
    return dict(acc=float(np.mean((F >= .5) == (X >= .5))), macc=float(np.mean((F[mask] >= .5) == (X[mask] >= .5))),
                rmse=float(np.sqrt(np.mean((F[mask] - X[mask]) ** 2))))
variants = {
    "obs": dict(loss="observed"), "obs_nocl": dict(loss="observed", cleanup=False),
    "all": dict(loss="all"), "held": dict(loss="heldout"),
    "obs_sph0": dict(loss="observed", sphere_weight=0.0),
    "obs_drop0": dict(loss="observed", input_dropout=0.0),
    "obs_pat30": dict(loss="observed", patience=30, tol=1e-5, max_steps=500),
    "obs_lr01": dict(loss="observed", learning_rate=0.01, max_steps=400),
}
NGRID = 300 if QUICK else 2000
if QUICK: variants = {"obs": variants["obs"]}; models = {"cells": models["cells"]}
results = []
for corr, (model, R) in models.items():
    for band in ["top", "middle", "bottom"]:
        mask = image_band(len(Xte), 10, band)
        with torch.no_grad():
            whole, _ = model(torch.from_numpy(np.where(mask, 0, Xte)).to(dev), torch.from_numpy((~mask).astype(np.float32)).to(dev))
        whole = whole.cpu().numpy()
        p = one_pass(model, Xte, mask, device=dev)
        r = dict(model=corr, band=band, method="pass", whole_output_acc=float(np.mean((whole >= .5) == (Xte >= .5))), **score(Xte, p, mask))
        say(json.dumps(r)); results.append(r)
        f, rep = reverse_impute(model, Xte, mask, ReverseConfig(loss="observed"), R, seed=0, device=dev)
        r = dict(model=corr, band=band, method="obs_full10k", steps=rep.steps_per_row, **score(Xte, f, mask))
        say(json.dumps(r)); results.append(r)
        if band != "bottom":
            continue
        pg = one_pass(model, Xte[:NGRID], mask[:NGRID], device=dev)
        say(json.dumps(dict(model=corr, band=band, method="pass_grid", **score(Xte[:NGRID], pg, mask[:NGRID]))))
        for name, kw in variants.items():
            t = time.time()
            f, rep = reverse_impute(model, Xte[:NGRID], mask[:NGRID], ReverseConfig(**kw), R, seed=0, device=dev)
            r = dict(model=corr, band=band, method=name, seconds=time.time() - t, steps=rep.steps_per_row, **score(Xte[:NGRID], f, mask[:NGRID]))
            say(json.dumps(r)); results.append(r)
json.dump(results, open(f"{OUT}/results.json", "w"), indent=1)
# GPU vs CPU timing and agreement, default variant, middle band
say("grid done")
model, R = models["cells"]
mask = image_band(len(Xte), 10, "middle")
t = time.time(); fg, _ = reverse_impute(model, Xte, mask, ReverseConfig(loss="observed"), R, seed=0, device=dev); tg = time.time() - t
mc = model.to("cpu"); torch.set_num_threads(16)
t = time.time(); fc, _ = reverse_impute(mc, Xte, mask, ReverseConfig(loss="observed"), R, seed=0, device="cpu"); tc = time.time() - t
say(json.dumps(dict(gpu_s=tg, cpu16_s=tc, max_abs_diff=float(np.abs(fg - fc).max()), mean_abs_diff=float(np.abs(fg - fc)[mask].mean()),
                    acc_gpu=score(Xte, fg, mask)["acc"], acc_cpu=score(Xte, fc, mask)["acc"])))
