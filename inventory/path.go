package inventory

// FilePath is the file the inventory was loaded from (for messages).
func (inv *Inventory) FilePath() string { return inv.Path }
